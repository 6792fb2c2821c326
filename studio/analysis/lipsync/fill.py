"""No rest while the voice sounds: rests over speech filled from the signal, shapes held to the
sound's end.

Alignment and recognition both put silence (SIL) where there is sound: the last vowel of a word
that the aligner ends early, a nasal or a stop read as a pause, a word the recogniser missed.
The mouth then shuts while the voice still sounds, which viewers see as a rest inside a word.
So frames the speech mask calls speech never rest: they take the signal's class there
(lipsync.signal), a murmur as "etc" (the phones found no m, b or p there, and an n or ng is
more common than an m).

The renderer moves every shape ANTICIPATION_HOLD (40 ms, conditioning.visemes' anticipation)
ahead of its sound, a rest too; without a hold the lips would start closing 40 ms before a word
ends. A shape before a pause is therefore held that long past the sound (never into the next
sound), which is when the lips really leave it.
"""

from __future__ import annotations

import numpy as np

from studio.analysis.lipsync.phonemes import VISEMES
from studio.analysis.lipsync.signal import CLASSES

ANTICIPATION_HOLD = 0.04  # seconds: conditioning.visemes.ANTICIPATION
_NAMES: tuple[str, ...] = tuple(VISEMES)
_REST = _NAMES.index("rest")
_CLOSED = _NAMES.index("MBP")
# the signal's class -> the viseme that fills a rest over speech
_AS_VISEME = np.array([_NAMES.index(c) for c in CLASSES], np.int16)
_VOWELS = np.array([_NAMES.index(v) for v in ("AI", "E", "O", "WQ", "L")], np.int16)
_FILL = np.array([_NAMES.index("etc" if c in ("rest", "MBP") else c) for c in CLASSES], np.int16)


def signal_frames(labels: np.ndarray) -> np.ndarray:
    """Per-frame viseme indices of the signal's classes."""
    return _AS_VISEME[labels]


def to_frames(runs: list[tuple[float, float, str]], count: int, frame_rate: float) -> np.ndarray:
    """One viseme index (into VISEMES) per frame, from (start, end, viseme) runs."""
    frames = np.full(count, _REST, np.int16)
    for start, end, viseme in runs:
        frames[int(round(start * frame_rate)):int(round(end * frame_rate))] = _NAMES.index(viseme)
    return frames


def to_runs(frames: np.ndarray, frame_rate: float, duration: float) -> list[tuple[float, float, str]]:
    """(start, end, viseme) runs of per-frame viseme indices, the last ending at `duration`."""
    if not len(frames):
        return []
    edges = np.flatnonzero(np.diff(frames)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(frames)]])
    return [(a / frame_rate, min(b / frame_rate, duration), _NAMES[frames[a]])
            for a, b in zip(starts, ends) if a / frame_rate < duration]


def fill_rests(frames: np.ndarray, labels: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """`frames` with every rest over speech frames replaced by the signal's commonest class
    there (one shape per hole: the signal's classes change faster than a mouth should); a
    hole between a vowel and a pause is that vowel's fading end and keeps its shape (the
    signal calls a fading vowel a breath, "etc", which flickered the mouth shut and open)."""
    filled = frames.copy()
    hole = np.concatenate([[0], ((filled == _REST) & speech[:len(filled)]).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(hole))
    for a, b in zip(edges[::2], edges[1::2]):
        if a > 0 and filled[a - 1] in _VOWELS and (b == len(filled) or not speech[b]):
            filled[a:b] = filled[a - 1]  # a vowel the phones ended early: it sounds on
        else:
            filled[a:b] = np.bincount(_FILL[labels[a:b]]).argmax()
    return filled


def hold_before_rests(frames: np.ndarray, frame_rate: float, speech: np.ndarray) -> np.ndarray:
    """Each shape that a rest follows, held ANTICIPATION_HOLD into that rest (a rest no longer
    than the hold is left as it is: it is a stop's closure, not a pause), and into a closure
    that starts in silence (a p's or b's: the lips meet when the sound stops, not 40 ms before;
    an m's murmur is voiced with the lips shut, so it is not held), keeping its last frame."""
    held = frames.copy()
    hold = int(round(ANTICIPATION_HOLD * frame_rate))
    rest = np.concatenate([[0], (frames == _REST).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(rest))
    for a, b in zip(edges[::2], edges[1::2]):
        if a > 0 and b - a > hold:
            held[a:a + hold] = frames[a - 1]
    shut = np.concatenate([[0], (frames == _CLOSED).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(shut))
    for a, b in zip(edges[::2], edges[1::2]):
        if a > 0 and frames[a - 1] != _REST and not speech[a]:
            held[a:a + min(hold, b - a - 1)] = frames[a - 1]  # a stop's lips meet as it falls silent
    return held
