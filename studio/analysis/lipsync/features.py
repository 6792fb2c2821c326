"""Frame-level acoustic features at 100 frames per second, shared by lip sync and prosody.

Computed block by block so a clip never holds more than ten seconds of spectra at once (a
minute's block took 270 MB).
Everything here is language independent: loudness, spectral shape, voicing and pitch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.analysis.audio import ANALYSIS_SAMPLE_RATE

RATE = ANALYSIS_SAMPLE_RATE
HOP = 160  # 10 ms: the frame rate of pocketsphinx, so phones and features line up
WINDOW = 512  # 32 ms: two periods of a low (65 Hz) voice
NFFT = 1024  # zero padding keeps the autocorrelation from wrapping around
PITCH_RANGE = (70.0, 400.0)  # Hz
_BLOCK = 1000  # frames per block (ten seconds)


@dataclass
class Features:
    """Per 10 ms frame: level in dB, spectral centroid and band shares, voicing and pitch."""

    level_db: np.ndarray  # dB relative to full scale
    centroid: np.ndarray  # Hz
    low_share: np.ndarray  # share of energy below 1 kHz
    high_share: np.ndarray  # share of energy above 3.5 kHz
    zcr: np.ndarray  # zero crossings per sample
    periodicity: np.ndarray  # 0..1 normalised autocorrelation peak in the pitch range
    pitch: np.ndarray  # Hz, 0 where unvoiced
    f1: np.ndarray  # Hz, first formant estimate (LPC), 0 where none
    f2: np.ndarray  # Hz, second formant estimate: low for rounded and back vowels

    @property
    def frame_rate(self) -> float:
        return RATE / HOP

    def __len__(self) -> int:
        return int(self.level_db.shape[0])


def _frames(samples: np.ndarray, first: int, count: int) -> np.ndarray:
    start = first * HOP - WINDOW // 2
    need = (count - 1) * HOP + WINDOW
    lo, hi = max(start, 0), min(start + need, len(samples))
    block = np.zeros(need, np.float32)
    block[lo - start:hi - start] = samples[lo:hi]
    return np.lib.stride_tricks.sliding_window_view(block, WINDOW)[::HOP][:count]


def compute(samples: np.ndarray) -> Features:
    """Features of 16 kHz mono float samples: one frame per 10 ms, centred on k x 10 ms."""
    total = max(1, int(np.ceil(len(samples) / HOP)))
    window = np.hanning(WINDOW).astype(np.float32)
    freqs = np.fft.rfftfreq(NFFT, 1.0 / RATE)
    low, high = freqs < 1000, freqs > 3500
    lags = np.arange(NFFT // 2 + 1)
    pitch_lags = (lags >= RATE / PITCH_RANGE[1]) & (lags <= RATE / PITCH_RANGE[0])
    # The autocorrelation of a Hann window, to undo its taper of long lags.
    window_ac = np.fft.irfft(np.abs(np.fft.rfft(window, NFFT)) ** 2)[:NFFT // 2 + 1]
    window_ac = np.maximum(window_ac / window_ac[0], 1e-3)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in Features.__dataclass_fields__}
    for first in range(0, total, _BLOCK):
        frames = _frames(samples, first, min(_BLOCK, total - first))
        energy = np.mean(frames.astype(np.float64) ** 2, axis=1)
        power = np.abs(np.fft.rfft(frames * window, NFFT, axis=1)) ** 2
        psum = power.sum(axis=1) + 1e-12
        signs = np.signbit(frames)
        ac = np.fft.irfft(power, NFFT, axis=1)[:, :NFFT // 2 + 1] / window_ac
        ac = ac / (ac[:, :1] + 1e-12)
        ac_pitch = np.where(pitch_lags, ac, -1.0)
        best = np.argmax(ac_pitch, axis=1)
        peak = np.clip(ac_pitch[np.arange(len(best)), best], 0.0, 1.0)
        parts["level_db"].append(10 * np.log10(energy + 1e-10))
        parts["centroid"].append((power @ freqs) / psum)
        parts["low_share"].append(power[:, low].sum(axis=1) / psum)
        parts["high_share"].append(power[:, high].sum(axis=1) / psum)
        parts["zcr"].append(np.mean(signs[:, 1:] != signs[:, :-1], axis=1))
        parts["periodicity"].append(peak)
        parts["pitch"].append(np.where(peak > 0.5, RATE / np.maximum(best, 1), 0.0))
        f1, f2 = formants(power)
        parts["f1"].append(f1)
        parts["f2"].append(f2)
    return Features(**{k: np.concatenate(v).astype(np.float32) for k, v in parts.items()})


LPC_ORDER = 10  # poles for the 0-4 kHz band: four formants and the spectral tilt
_BAND_BINS = NFFT // 4 + 1  # bins up to 4 kHz


def formants(power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first two formants (Hz) of each frame's power spectrum, 0 where not found.

    Linear prediction on the spectrum below 4 kHz (as if sampled at 8 kHz, so ten poles cover
    the formants that tell vowels apart), pre-emphasised; the formants are the roots of the
    predictor narrower than 400 Hz between 200 Hz and 3.5 kHz, by frequency."""
    band = power[:, :_BAND_BINS]
    freqs = np.arange(_BAND_BINS) * (RATE / NFFT)
    tilt = np.abs(1 - 0.9 * np.exp(-2j * np.pi * freqs / (RATE / 2))) ** 2  # pre-emphasis
    ac = np.fft.irfft(band * tilt, axis=1)[:, :LPC_ORDER + 1]
    ac[:, 0] = ac[:, 0] * 1.0001 + 1e-12
    # Levinson-Durbin, all frames at once
    a = np.zeros((len(ac), LPC_ORDER + 1))
    a[:, 0] = 1.0
    err = ac[:, 0].copy()
    for i in range(1, LPC_ORDER + 1):
        k = -(a[:, :i] * ac[:, i:0:-1]).sum(axis=1) / err
        a[:, 1:i + 1] = a[:, 1:i + 1] + k[:, None] * a[:, i - 1::-1][:, :i]
        err *= 1 - k * k
    companion = np.zeros((len(a), LPC_ORDER, LPC_ORDER))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, LPC_ORDER), np.arange(LPC_ORDER - 1)] = 1.0
    roots = np.linalg.eigvals(companion)
    rate = RATE / 2
    freq = np.angle(roots) * rate / (2 * np.pi)
    width = -np.log(np.maximum(np.abs(roots), 1e-9)) * rate / np.pi
    ok = (freq > 200) & (freq < 3500) & (width < 400)
    freq = np.sort(np.where(ok, freq, np.inf), axis=1)
    f1, f2 = freq[:, 0], freq[:, 1]
    return np.where(np.isfinite(f1), f1, 0.0), np.where(np.isfinite(f2), f2, 0.0)


VOICED = 0.6  # periodicity above which a frame is voiced
VOICED_RANGE = 30.0  # dB below the peaks within which a voiced frame is speech, floor or not


def speech_mask(features: Features) -> np.ndarray:
    """Frames loud enough to be speech: above the noise floor and within 40 dB of the peaks.

    The floor is the level of the quietest tenth of the clip, which is speech itself in a clip
    trimmed to a word ("shoe" alone has no silence to measure): voiced frames within 30 dB of
    the peaks are speech whatever the floor says, so such a word is not left at rest."""
    level = features.level_db
    floor, peak = np.percentile(level, 10), np.percentile(level, 99)
    threshold = max(floor + 10.0, peak - 40.0, -70.0)
    voiced = (features.periodicity > VOICED) & (level > max(peak - VOICED_RANGE, -60.0))
    return (level > threshold) | voiced


def speech_regions(mask: np.ndarray, frame_rate: float, min_pause: float = 0.25,
                   max_length: float = 20.0) -> list[tuple[float, float]]:
    """Spans of speech (seconds), joined across pauses shorter than `min_pause` and padded."""
    idx = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs = [[a / frame_rate, b / frame_rate] for a, b in zip(idx[::2], idx[1::2])]
    joined: list[list[float]] = []
    for run in runs:
        if joined and run[0] - joined[-1][1] < min_pause and run[1] - joined[-1][0] < max_length:
            joined[-1][1] = run[1]
        else:
            joined.append(run)
    end = len(mask) / frame_rate
    return [(max(0.0, a - 0.1), min(end, b + 0.1)) for a, b in joined]
