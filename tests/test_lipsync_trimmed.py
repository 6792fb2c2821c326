"""Words cut to their sound, with no silence around them (tests/data/speech/trimmed.json): lip
sync finds the speech and opens the mouth, with a transcript and without. "shoe" alone used to
leave no frame above the noise floor measured from the word itself, and stayed at rest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import load_audio
from studio.analysis.lipsync import analyze
from studio.analysis.lipsync.features import compute, speech_mask
from studio.analysis.lipsync.analyze import to_16k
from studio.conditioning.visemes import viseme_mouth

DATA = Path(__file__).resolve().parent / "data" / "speech"
WORDS = json.loads((DATA / "trimmed.json").read_text())
OPEN = 0.08  # jawOpen above the closures' and FV's: a vowel (a rounded WQ opens 0.1)


@pytest.mark.parametrize("word", sorted(WORDS))
def test_a_trimmed_word_is_speech_and_opens_the_mouth(word):
    clip = load_audio(DATA / WORDS[word]["wav"])
    speech = speech_mask(compute(to_16k(clip.samples, clip.sample_rate)))
    assert speech.mean() > 0.5, f"{word}: {speech.mean():.2f} of the frames are speech"
    times = np.arange(int(clip.duration * 25)) / 25 + 0.02
    for transcript, mode in ((word, "phonemes"), (None, "auto")):
        result = analyze(clip, transcript=transcript, mode=mode)
        jaw = viseme_mouth(result.visemes, times)["jawOpen"]
        assert jaw.max() > OPEN, (word, mode, result.method, result.visemes)
        if transcript:
            assert result.method == "alignment", (word, result.method)
