"""Mouth shapes from the sound itself, for any language.

When there is no usable phoneme recognition (speech that is not English, singing, a noisy
take), the shape of the spectrum still says a lot about the mouth: silence and short stop gaps
mean closed lips, a voiced murmur with its energy below 450 Hz, quieter than the vowels beside it, is a nasal or a voiced
closure (m, b, n), hiss with high zero-crossing rate, a burst or breath is a consonant (teeth nearly closed), and
among vowels a low spectral centroid means rounded lips, a high one spread lips. The thresholds
on centroid are relative to the speaker's own vowels, so they adapt to the voice.
"""

from __future__ import annotations

import numpy as np

from studio.analysis.lipsync.features import Features

# Classes in a fixed order, so labels can be integer arrays; each is a viseme of the set.
CLASSES: tuple[str, ...] = ("rest", "MBP", "etc", "AI", "E", "O")
_REST, _CLOSED, _FRICATIVE, _OPEN, _WIDE, _ROUND = range(len(CLASSES))
MURMUR_DROP_DB = 6.0  # a nasal is at least this much quieter than its vowels
MAX_STOP_GAP = 0.15  # seconds: a silence shorter than this inside speech is a stop closure


def classify(features: Features, speech: np.ndarray) -> np.ndarray:
    """One class index (into CLASSES) per 10 ms frame."""
    from scipy.ndimage import maximum_filter1d, median_filter

    labels = np.full(len(features), _REST, np.int8)
    voiced = features.periodicity > 0.5
    # A murmur is dull *and* quieter than the vowels around it; a loud dull frame is an "oo".
    nearby_peak = maximum_filter1d(np.where(speech, features.level_db, -200.0),
                                   int(0.3 * features.frame_rate) | 1)
    murmur = (voiced & (features.centroid < 450) & (features.low_share > 0.8)
              & (features.level_db < nearby_peak - MURMUR_DROP_DB))
    hiss = (features.high_share > 0.3) | ((features.zcr > 0.25) & ~voiced)
    vowel = speech & voiced & ~murmur & ~hiss
    labels[speech & murmur] = _CLOSED
    labels[speech & ~murmur & ~vowel] = _FRICATIVE  # hiss, bursts, breath: teeth nearly closed
    labels[vowel] = _OPEN
    if vowel.sum() >= 10:
        low, high = np.percentile(features.centroid[vowel], [25, 75])
        labels[vowel & (features.centroid <= low)] = _ROUND
        labels[vowel & (features.centroid >= high)] = _WIDE
    labels = median_filter(labels, size=5, mode="nearest")
    _close_stop_gaps(labels, speech, features.frame_rate)
    return labels


def _close_stop_gaps(labels: np.ndarray, speech: np.ndarray, frame_rate: float) -> None:
    """Short silences between speech are stop closures (the p of 'papa'), not pauses."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], speech.astype(np.int8), [1]])))
    for a, b in zip(edges[::2], edges[1::2]):
        if 0 < a and b < len(speech) and (b - a) / frame_rate <= MAX_STOP_GAP:
            labels[a:b] = _CLOSED


def coarse(viseme: str) -> int:
    """0 closed (rest, MBP), 1 consonant with teeth nearly closed, 2 open (vowels, l, w)."""
    if viseme in ("rest", "MBP"):
        return 0
    if viseme in ("etc", "FV", "TH", "CH"):
        return 1
    return 2
