"""Alignment of a long clip: words still land at their known times once the clip is chunked.

The clip strings the word-by-word utterances of tests/data/speech together (with the silence of
a breath between them) into about fifty seconds of speech with the matching transcript, so the
aligner must cut it into chunks and decide which words belong to each. A word placed in the
wrong chunk would land seconds away from its known time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import AudioClip, load_audio
from studio.analysis.lipsync import analyze
from studio.analysis.lipsync.analyze import to_16k

DATA = Path(__file__).resolve().parent / "data" / "speech"
TABLE = json.loads((DATA / "utterances.json").read_text())
ORDER = ["bilabials_en", "oov_en"] * 5
GAP = 0.3  # seconds of silence between utterances
RATE = 16000
FRAME = 1.0 / 25


@pytest.fixture(scope="module")
def long_clip():
    """The concatenated clip, its transcript and every word's known (word, start, end)."""
    pieces, words, text, t = [], [], [], 0.0
    gap = np.zeros(int(GAP * RATE), np.float32)
    for name in ORDER:
        info = TABLE[name]
        clip = load_audio(DATA / info["wav"])
        samples = to_16k(clip.samples, clip.sample_rate)
        pieces += [samples, gap]
        words += [(w["word"], t + w["start"], t + w["end"]) for w in info["words"]]
        text.append(info["transcript"] + ".")
        t += (len(samples) + len(gap)) / RATE
    samples = np.concatenate(pieces)
    return AudioClip(samples, RATE, DATA / "long.wav"), " ".join(text), words


@pytest.fixture(scope="module")
def aligned(long_clip):
    clip, text, _ = long_clip
    return analyze(clip, transcript=text, mode="phonemes")


def _word_spans(phones):
    """(word, start, end) per spoken word, from runs of phones carrying the same word."""
    spans = []
    for phone in phones:
        if phone.word is None:
            continue
        if spans and spans[-1][0] == phone.word and abs(spans[-1][2] - phone.start) < 1e-6:
            spans[-1][2] = phone.end
        else:
            spans.append([phone.word, phone.start, phone.end])
    return spans


def test_long_clip_is_aligned_not_recognised(long_clip, aligned):
    assert long_clip[0].duration > 45
    assert aligned.method == "alignment"


def test_every_word_of_a_long_clip_lands_at_its_known_time(long_clip, aligned):
    """Each word's middle lies inside its known span, give or take two frames at 25 fps."""
    _, _, truth = long_clip
    spans = _word_spans(aligned.phones)
    assert [s[0] for s in spans] == [w for w, _, _ in truth]
    for (word, start, end), (_, lo, hi) in zip(spans, truth):
        assert lo - 2 * FRAME <= (start + end) / 2 <= hi + 2 * FRAME, (word, start, end, lo, hi)

