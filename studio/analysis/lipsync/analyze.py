"""analyze: the viseme track of a voice clip, by the best means available.

Modes (the project's `lipsync` setting):
- "phonemes": pocketsphinx en-us, forced alignment when there is a transcript, else phone
  recognition.
- "signal": the language-independent classes of lipsync.signal.
- "auto": alignment when a transcript fits the audio; otherwise phone recognition, unless it
  disagrees with the signal about when the mouth is open or closed (the sign of speech that is
  not English, or too noisy for the acoustic model), in which case the signal wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.analysis.lipsync import features as feats
from studio.analysis.lipsync import fill, signal, sphinx
from studio.analysis.lipsync.phonemes import Phone
from studio.analysis.lipsync.segments import merge_runs, openness
from studio.doc.errors import InputError
from studio.doc.project import VisemeSegment

MODES: tuple[str, ...] = ("auto", "phonemes", "signal")
_VOWEL_PHONES = frozenset({"AA", "AE", "AH", "AY", "AW", "AO", "OW", "OY", "ER", "UW", "UH", "EH",
                           "EY", "IH", "IY"})
MIN_AGREEMENT = 0.555  # share of speech frames where recognition and signal agree on openness


@dataclass
class SpeechAnalysis:
    """What lip sync found: the viseme track, the phonemes behind it, and how it was made."""

    visemes: list[VisemeSegment]
    phones: list[Phone]  # empty in signal mode
    method: str  # "alignment", "recognition" or "signal"
    features: feats.Features
    agreement: float | None = None  # recognition vs signal, when both ran


def to_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz, the rate of the acoustic model and of the features."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError("expected mono samples")
    if sample_rate != feats.RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sample_rate), feats.RATE)
        samples = resample_poly(samples, feats.RATE // g, int(sample_rate) // g).astype(np.float32)
    return samples


def analyze(clip, *, transcript: str | None = None, mode: str = "auto") -> SpeechAnalysis:
    """The automatic viseme track of an AudioClip (anything with .samples and .sample_rate),
    with the phonemes, the method used and the frame features."""
    # 1. check inputs
    if mode not in MODES:
        raise InputError(f"unknown lip-sync mode '{mode}': use one of {', '.join(MODES)}")
    samples = to_16k(clip.samples, clip.sample_rate)
    duration = len(samples) / feats.RATE
    # 2. language-independent features and speech regions
    features = feats.compute(samples)
    speech = feats.speech_mask(features)
    labels = signal.classify(features, speech)
    shapes = signal.mouth_shapes(features, speech, labels)
    ahead = signal.round_ahead(shapes, labels, features, speech)
    signal_visemes = _visemes(fill.signal_frames(ahead), speech, features.frame_rate, duration)
    if mode == "signal" or not speech.any():
        return SpeechAnalysis(signal_visemes, [], "signal", features)
    # 3. forced alignment when a transcript fits
    if transcript and transcript.strip():
        phones = sphinx.align(samples, transcript, speech)
        if phones:
            visemes = _phone_visemes(phones, shapes, speech, features.frame_rate, duration)
            return SpeechAnalysis(visemes, phones, "alignment", features)
    # 4. phone recognition, checked against the signal in auto mode
    regions = feats.speech_regions(speech, features.frame_rate)
    phones = sphinx.recognize(samples, regions)
    visemes = _phone_visemes(phones, shapes, speech, features.frame_rate, duration)
    agreement = _agreement(phones, labels, speech, features.frame_rate)
    if mode == "auto" and agreement < MIN_AGREEMENT:
        return SpeechAnalysis(signal_visemes, [], "signal", features, agreement)
    return SpeechAnalysis(visemes, phones, "recognition", features, agreement)


def _phone_visemes(phones: list[Phone], labels: np.ndarray, speech: np.ndarray,
                   frame_rate: float, duration: float) -> list[VisemeSegment]:
    """The phones' visemes, with no rest while the voice sounds (lipsync.fill). An h before a
    vowel has that vowel's shape: it is the vowel's breathy onset (the mouth is already set)."""
    shown = [nxt.viseme if p.phone == "HH" and nxt.phone in _VOWEL_PHONES and nxt.start - p.end < 0.02
             else p.viseme for p, nxt in zip(phones, phones[1:] + phones[-1:])]
    frames = fill.to_frames([(p.start, p.end, v) for p, v in zip(phones, shown)], len(labels),
                            frame_rate)
    return _visemes(fill.fill_rests(frames, labels, speech), speech, frame_rate, duration)


def _visemes(frames: np.ndarray, speech: np.ndarray, frame_rate: float, duration: float
             ) -> list[VisemeSegment]:
    held = fill.hold_before_rests(frames, frame_rate, speech)
    return merge_runs(fill.to_runs(held, frame_rate, duration))


def _agreement(phones: list[Phone], labels: np.ndarray, speech: np.ndarray, frame_rate: float) -> float:
    """Share of speech frames where recognised phones and the signal agree on mouth openness."""
    recognised = np.zeros(len(labels), np.int8)
    for p in phones:
        recognised[int(round(p.start * frame_rate)):int(round(p.end * frame_rate))] = openness(p.viseme)
    heard = np.array([openness(c) for c in signal.CLASSES], np.int8)[labels]
    if not speech.any():
        return 1.0
    return float(np.mean(recognised[speech] == heard[speech]))
