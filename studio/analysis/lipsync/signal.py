"""Mouth shapes from the sound itself, for any language.

When there is no usable phoneme recognition (speech that is not English, singing, a noisy
take), the shape of the spectrum still says a lot about the mouth: silence and short stop gaps
mean closed lips, a voiced murmur with its energy below 450 Hz, quieter than the vowels beside it, is a nasal or a voiced
closure (m, b, n), hiss with high zero-crossing rate, a burst or breath is a consonant (teeth nearly closed), and
among vowels low first and second formants mean rounded lips, a high second one spread lips.
The thresholds are relative to the speaker's own vowels, so they adapt to the voice.
"""

from __future__ import annotations

import numpy as np

from studio.analysis.lipsync.features import Features

# Classes in a fixed order, so labels can be integer arrays; each is a viseme of the set.
CLASSES: tuple[str, ...] = ("rest", "MBP", "etc", "AI", "E", "O", "FV", "L")
_REST, _CLOSED, _FRICATIVE, _OPEN, _WIDE, _ROUND, _LIP_TEETH, _LATERAL = range(len(CLASSES))
MURMUR_DROP_DB = 6.0  # a nasal is at least this much quieter than its vowels
MAX_STOP_GAP = 0.15  # seconds: a silence shorter than this inside speech is a stop closure
LIP_MURMUR_LOW_SHARE = 0.92  # an m's murmur has less of its energy below 1 kHz than this
VOICE_BAR_DROP_DB = 15.0  # a murmur this far below its vowels is a b's voice bar (lips shut)
VOICE_BAR_FRAMES = 3  # ... for at least 30 ms
VOICE_BAR_RISE_DB = 4.0  # ... and not rising by more than this (an approximant's onset does)
VOICED_HISS_ZCR = 0.075  # zero crossings per sample of a murmur with frication (v, z, dh)
MIN_MURMUR_FRAMES = 3  # a closing murmur lasts 30 ms at least
CLOSURE_ABOVE_FLOOR_DB = 5.0  # a stop gap louder than the clip's pauses by this is speech
CLOSURE_BELOW_PEAK_DB = 40.0  # ... or louder than this below the peaks (a clean clip's pauses
# are digital silence, far below any closure)
CLOSURE_DEPTH_DB = 20.0  # and at least this far under the peaks (under heavy noise a quiet
# consonant sinks to the noise floor as deep as a closure would: it is "etc" there)
HISSY_BURST = 0.3  # share of energy above 3.5 kHz of a t or k release (a p's is dull)
SHARP_RELEASE_HZ = 1200.0  # a p's or b's release is dull; a t's, k's or g's is brighter
# a vowel's shape by the rank of its F1 + F2 among the speaker's vowels (both formants are low
# for rounded and back vowels; the spectral centroid, used before, was as low for an r- or
# l-coloured vowel, "river", "garden", as for a rounded one)
ROUND_RANK, SPREAD_RANK = 0.35, 0.7  # the nuclei below this rank are rounded, above spread
ROUND_AHEAD = 0.15  # seconds of voiced consonant each side of a rounded vowel that round with it
SONORANT_LOW_SHARE = 0.9  # a "vowel" with this much of its energy below 1 kHz is an l or r


def classify(features: Features, speech: np.ndarray) -> np.ndarray:
    """One class index (into CLASSES) per 10 ms frame."""
    from scipy.ndimage import median_filter

    labels = np.full(len(features), _REST, np.int8)
    voiced = features.periodicity > 0.5
    # A murmur is dull *and* quieter than the vowels around it; a loud dull frame is an "oo".
    nearby_peak = _nearby_peak(features, speech)
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


def mouth_shapes(features: Features, speech: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The classes as mouth shapes: `classify`'s labels made steadier and closures surer.

    - one shape per vowel nucleus (a diphthong's two halves flickered, and its glide is
      what the renderer's blending shows anyway), by the rank of its first two formants'
      sum among the clip's nuclei: the lowest rounded (o, oo, aw: F1 and F2 both low), the
      highest spread (ee, ay: a high F2), open between (ah has a low F2 but a high F1);
      a nucleus with nearly all its energy below 1 kHz is a dark l or an r ("L"), duller
      than any rounded vowel (the tight "WQ" is left to the phonemes);
    - a murmur closes the lips only when it has the dull-and-hollow spectrum of an m (the
      antiresonance near 1 kHz takes energy from the low band) or is as faint as the voice
      bar of a b; n, ng, l, r and w murmurs are "etc";
    - a stop gap or voice bar closes the lips only when its release is dull, as a p's or
      b's is (a t, k or g releases a hiss or a bright burst); a murmur with hiss on it (v, z, dh) is "FV";
    - a stop gap louder than the clip's pauses, or less than 20 dB under its peaks, is quiet
      speech that noise hid from the speech mask: "etc".
    """
    shapes = labels.copy()
    murmur = shapes == _CLOSED
    gap = murmur & ~speech
    # a stop's closure is as quiet as the pauses; a gap louder than that is quiet speech that
    # the noise hid from the speech mask
    floor, peak = np.percentile(features.level_db, [10, 99])
    quiet = min(max(floor + CLOSURE_ABOVE_FLOOR_DB, peak - CLOSURE_BELOW_PEAK_DB),
                peak - CLOSURE_DEPTH_DB)
    shapes[gap & (features.level_db > quiet)] = _FRICATIVE
    gap &= shapes == _CLOSED
    faint = features.level_db < _nearby_peak(features, speech) - VOICE_BAR_DROP_DB
    bar = np.zeros_like(faint)
    for a, b in _runs(faint & murmur):
        # a shut tract holds or fades its voice; a w or an r rising out of a pause gets louder
        voiced = features.level_db[a:b][speech[a:b]]
        bar[a:b] = b - a >= VOICE_BAR_FRAMES and (voiced.size < 2
                                                  or voiced[-1] - voiced[0] <= VOICE_BAR_RISE_DB)
    shapes[murmur & speech & (features.low_share >= LIP_MURMUR_LOW_SHARE) & ~bar] = _FRICATIVE
    for a, b in _runs(gap | (bar & speech)):
        if b < len(shapes) and (features.high_share[b:b + 4].max() > HISSY_BURST
                                or features.centroid[b:b + 2].mean() > SHARP_RELEASE_HZ):
            shapes[a:b] = _FRICATIVE
    for a, b in _runs((shapes == _CLOSED) & speech):
        if features.zcr[a:b].mean() > VOICED_HISS_ZCR:
            shapes[a:b] = _LIP_TEETH  # voicing with hiss on it: a v, a z or a voiced th
        elif b - a < MIN_MURMUR_FRAMES:
            shapes[a:b] = _FRICATIVE  # too brief for lips to meet and part
    vowel = np.isin(shapes, (_OPEN, _WIDE, _ROUND))
    nuclei = []
    for lo, hi in _runs(vowel):
        if features.low_share[lo:hi].mean() >= SONORANT_LOW_SHARE:
            shapes[lo:hi] = _LATERAL  # a dark or syllabic l, an r: dull, but not rounded
        else:
            nuclei.append((lo, hi, _formant_sum(features, lo, hi)))
    if len(nuclei) < 3:
        return shapes
    order = np.argsort(np.argsort([f for _, _, f in nuclei])) / (len(nuclei) - 1)
    for (lo, hi, _), rank in zip(nuclei, order):
        shapes[lo:hi] = _ROUND if rank < ROUND_RANK else _OPEN if rank < SPREAD_RANK else _WIDE
    return shapes


def round_ahead(shapes: np.ndarray, labels: np.ndarray, features: Features,
                speech: np.ndarray) -> np.ndarray:
    """`mouth_shapes`' shapes with a voiced consonant (a murmur that is not the lips' own)
    just before or after a rounded vowel rounded with it, up to ROUND_AHEAD each side: the w of
    "walked", an l or r before o, the v of "move"; the lips round ahead of the vowel and unround
    after it (signal mode showed the w as "etc" and the word rounded 70 ms late; each such
    consonant was a shape of its own, a flicker). Signal mode's track only: where phones are known, the rests they
    leave are filled from the shapes without it (filled rounded, they rounded unrounded words)."""
    shapes = shapes.copy()
    most = int(ROUND_AHEAD * features.frame_rate)
    voiced = (shapes == _FRICATIVE) & speech & ((labels == _CLOSED) | (features.periodicity > 0.5))
    for lo, hi in _runs(shapes == _ROUND):
        k = lo
        while k > 0 and lo - k < most and voiced[k - 1]:
            k -= 1
        shapes[k:lo] = _ROUND
        k = hi  # and they unround slowly: the v of "move"
        while k < len(shapes) and k - hi < most and voiced[k]:
            k += 1
        shapes[hi:k] = _ROUND
    return shapes


def _formant_sum(features: Features, lo: int, hi: int) -> float:
    """F1 + F2 of a nucleus (median of its frames where both were found): low for rounded
    and back vowels (oo, o, aw), high for open and front ones (ah, a, ee)."""
    both = (features.f1[lo:hi] > 0) & (features.f2[lo:hi] > 0)
    if not both.any():
        return float(features.centroid[lo:hi].mean()) * 2.5
    return float(np.median(features.f1[lo:hi][both] + features.f2[lo:hi][both]))


def _nearby_peak(features: Features, speech: np.ndarray) -> np.ndarray:
    """The loudest speech level within 0.15 s of each frame."""
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(np.where(speech, features.level_db, -200.0),
                            int(0.3 * features.frame_rate) | 1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def _close_stop_gaps(labels: np.ndarray, speech: np.ndarray, frame_rate: float) -> None:
    """Short silences between speech are stop closures (the p of 'papa'), not pauses."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], speech.astype(np.int8), [1]])))
    for a, b in zip(edges[::2], edges[1::2]):
        if 0 < a and b < len(speech) and (b - a) / frame_rate <= MAX_STOP_GAP:
            labels[a:b] = _CLOSED
