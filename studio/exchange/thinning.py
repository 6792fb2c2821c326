"""Keys thinned to what reproduces a sampled curve within a tolerance (Ramer-Douglas-Peucker).

The distance is the vertical one, per channel: a kept set of samples, joined by straight lines,
is within `tolerance` of every dropped sample in every channel. Channels thinned together (gaze
yaw and pitch, brow lift and offset) share their key times, so each key stays one record.
"""

from __future__ import annotations

import numpy as np


def thin(times: np.ndarray, values: np.ndarray, tolerance: float | np.ndarray) -> np.ndarray:
    """Indices of the samples to keep, ascending, first and last always among them.

    `values` is (N,) or (N, C); `tolerance` a number or one per channel (all > 0).
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = times.shape[0]
    if n <= 2:
        return np.arange(n)
    tol = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), (values.shape[1],))
    if np.any(tol <= 0):
        raise ValueError("the tolerance must be above 0")
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        inner = slice(a + 1, b)
        frac = (times[inner] - times[a]) / (times[b] - times[a])
        line = values[a] + frac[:, None] * (values[b] - values[a])
        error = np.max(np.abs(values[inner] - line) / tol, axis=1)
        worst = int(np.argmax(error))
        if error[worst] > 1.0:
            k = a + 1 + worst
            keep[k] = True
            stack += [(a, k), (k, b)]
    return np.flatnonzero(keep)


def max_error(times: np.ndarray, values: np.ndarray, kept: np.ndarray) -> float:
    """The largest vertical distance of any sample from the kept samples' polyline."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    rebuilt = np.stack([np.interp(times, times[kept], values[kept, c])
                        for c in range(values.shape[1])], axis=1)
    return float(np.max(np.abs(rebuilt - values))) if values.size else 0.0
