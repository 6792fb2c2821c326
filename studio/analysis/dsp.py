"""The two pieces of scipy.signal that prosody uses, in numpy: peak picking and a zero-phase
low-pass.

`import scipy.signal` costs about a second (it parses hundreds of docstrings at import), more
than the whole analysis of a short clip, for two small functions. These give scipy's results
(find_peaks with `distance` and `prominence`; a 2nd-order Butterworth applied forward and
backward as sosfiltfilt does, odd-extended at the ends); tests/test_analysis_dsp.py checks
them against scipy.
"""

from __future__ import annotations

import math

import numpy as np


def find_peaks(x: np.ndarray, *, distance: int, prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """(indices, prominences) of the local maxima of `x` at least `distance` samples apart
    (the higher wins) and standing out by at least `prominence`, as scipy.signal.find_peaks."""
    x = np.asarray(x, dtype=np.float64)
    peaks = _local_maxima(x)
    if peaks.size > 1 and distance > 1:
        peaks = peaks[_apart(peaks, x[peaks], math.ceil(distance))]
    prominences = np.array([_prominence(x, peak) for peak in peaks], dtype=np.float64)
    keep = prominences >= prominence
    return peaks[keep], prominences[keep]


def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Samples higher than both neighbours; a flat top counts once, at its middle."""
    if x.size < 3:
        return np.zeros(0, dtype=np.intp)
    rising = np.flatnonzero(x[1:-1] > x[:-2]) + 1
    peaks = []
    last = x.size - 1
    end = 0
    for i in rising:
        if i < end:
            continue
        ahead = i + 1
        while ahead < last and x[ahead] == x[i]:
            ahead += 1
        if x[ahead] < x[i]:
            peaks.append((i + ahead - 1) // 2)
        end = ahead
    return np.array(peaks, dtype=np.intp)


def _apart(peaks: np.ndarray, heights: np.ndarray, distance: int) -> np.ndarray:
    """Which peaks to keep so no two are closer than `distance`, highest first."""
    keep = np.ones(peaks.size, dtype=bool)
    for j in np.argsort(heights)[::-1]:
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and peaks[j] - peaks[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < peaks.size and peaks[k] - peaks[j] < distance:
            keep[k] = False
            k += 1
    return keep


def _prominence(x: np.ndarray, peak: int) -> float:
    """Height of the peak over the higher of its two bases (the lowest points before a higher
    sample, or the signal's end, on each side)."""
    top = x[peak]
    higher_left = np.flatnonzero(x[:peak] > top)
    start = higher_left[-1] + 1 if higher_left.size else 0
    higher_right = np.flatnonzero(x[peak + 1:] > top)
    stop = peak + 1 + higher_right[0] if higher_right.size else x.size
    return float(top - max(x[start:peak + 1].min(), x[peak:stop].min()))


def lowpass(x: np.ndarray, cutoff: float, rate: float, padlen: int) -> np.ndarray:
    """A 2nd-order Butterworth low-pass at `cutoff` Hz along axis 0, run forward then backward
    (zero phase), as scipy.signal.sosfiltfilt(butter(2, ..., output="sos"), x, padlen=...)."""
    b, a = _butter2(cutoff / (rate / 2))
    x = np.asarray(x, dtype=np.float64)
    if padlen > 0:
        x = np.concatenate([2 * x[:1] - x[padlen:0:-1], x, 2 * x[-1:] - x[-2:-padlen - 2:-1]])
    zi = _steady_state(b, a)
    y = _biquad(b, a, x, zi[:, None] * x[0])
    y = _biquad(b, a, y[::-1], zi[:, None] * y[-1])[::-1]
    return y[padlen:-padlen] if padlen > 0 else y


def _butter2(wn: float) -> tuple[np.ndarray, np.ndarray]:
    """butter(2, wn): the analog prototype's poles, pre-warped, through the bilinear transform."""
    warped = 4.0 * math.tan(math.pi * wn / 2.0)
    poles = warped * np.exp(1j * np.pi * np.array([3, 5]) / 4)
    digital = (4.0 + poles) / (4.0 - poles)
    gain = (warped ** 2 / np.prod(4.0 - poles)).real
    return gain * np.array([1.0, 2.0, 1.0]), np.real(np.poly(digital))


def _steady_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The filter state for a unit step's steady state (scipy's lfilter_zi)."""
    system = np.array([[1.0 + a[1], -1.0], [a[2], 1.0]])
    return np.linalg.solve(system, b[1:] - a[1:] * b[0])


def _biquad(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Direct form II transposed over axis 0, every column at once."""
    b0, b1, b2 = (float(v) for v in b)
    a1, a2 = float(a[1]), float(a[2])
    flat = x.reshape(x.shape[0], -1)
    out = np.empty_like(flat)
    for column in range(flat.shape[1]):
        z0, z1 = (float(v) for v in zi.reshape(2, -1)[:, column])
        values = flat[:, column].tolist()
        result = out[:, column]
        ys = []
        for v in values:
            y = b0 * v + z0
            z0 = b1 * v - a1 * y + z1
            z1 = b2 * v - a2 * y
            ys.append(y)
        result[:] = ys
    return out.reshape(x.shape)
