"""The loudness envelope that opens the mouth: timing, gating, scaling to the clip's own level."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import AudioClip, load_audio, loudness_envelope, performance_from_audio
from studio.analysis.performance import Performance

PHRASE = Path(__file__).parent / "data" / "audio" / "phrase.wav"
LEAD_IN_SECONDS = 0.3  # make_clips.sh pads the phrase with this much silence


@pytest.fixture(scope="module")
def phrase() -> AudioClip:
    return load_audio(PHRASE)


@pytest.mark.parametrize("fps", [25, 30, 29.97, 60])
def test_one_value_per_output_frame(phrase, fps):
    envelope = loudness_envelope(phrase, fps)
    assert envelope.shape == (math.ceil(phrase.duration * fps),)
    assert envelope.dtype == np.float32
    assert envelope.min() >= 0.0 and envelope.max() <= 1.0


def test_silence_is_zero_and_speech_is_loud(phrase):
    envelope = loudness_envelope(phrase, 25)
    lead_in = int(LEAD_IN_SECONDS * 25)
    assert np.all(envelope[: lead_in - 1] == 0.0)
    assert envelope.max() == 1.0
    speaking = envelope[lead_in:-5]
    assert np.median(speaking) > 0.4
    # Syllables and the gaps between words give the mouth something to do, not a flat plateau.
    assert np.std(speaking) > 0.15


def test_envelope_follows_the_speech_not_the_recording_level(phrase):
    quiet = AudioClip(
        samples=phrase.samples * 0.1, sample_rate=phrase.sample_rate, path=phrase.path
    )
    loud, soft = loudness_envelope(phrase, 25), loudness_envelope(quiet, 25)
    assert np.abs(loud - soft).max() < 0.02


def test_long_room_tone_does_not_set_the_scale(phrase):
    """A sentence in a minute of -60 dBFS room tone: the tone stays closed, the words unchanged."""
    rng = np.random.default_rng(1)
    tone = (rng.standard_normal(60 * 16000) * 10 ** (-60 / 20)).astype(np.float32)
    samples = tone.copy()
    samples[: len(phrase.samples)] += phrase.samples
    noisy = loudness_envelope(AudioClip(samples, 16000, phrase.path), 25)
    clean = loudness_envelope(phrase, 25)
    assert not noisy[len(clean) + 2 :].any()
    speaking = clean > 0.3
    assert np.abs(noisy[: len(clean)][speaking] - clean[speaking]).max() < 0.05


def test_envelope_is_perceptual_not_linear(phrase):
    """Halving the amplitude of one word (-6 dB) dims it by a fifth of the range, not by half."""
    envelope = loudness_envelope(phrase, 25)
    word = slice(int(1.0 * 16000), int(1.4 * 16000))
    samples = phrase.samples.copy()
    samples[word] *= 0.5
    dimmed = loudness_envelope(AudioClip(samples, phrase.sample_rate, phrase.path), 25)
    frames = slice(26, 34)
    loud = envelope[frames] > 0.6
    drop = (envelope[frames] - dimmed[frames])[loud]
    assert np.all(drop == pytest.approx(6.0 / 30.0, abs=0.02))


def test_silence_only_clip_gives_zero_loudness(tmp_path):
    silence = AudioClip(np.zeros(2 * 16000, dtype=np.float32), 16000, tmp_path / "silence.wav")
    envelope = loudness_envelope(silence, 25)
    assert envelope.shape == (50,)
    assert not envelope.any()
    rng = np.random.default_rng(0)
    room = AudioClip(
        (rng.standard_normal(32000) * 1e-4).astype(np.float32), 16000, tmp_path / "room.wav"
    )
    assert not loudness_envelope(room, 25).any()  # -80 dBFS hiss is silence, not quiet speech


def test_clipped_speech_still_has_pauses(phrase):
    clipped = AudioClip(np.clip(phrase.samples * 20.0, -1.0, 1.0), phrase.sample_rate, phrase.path)
    envelope = loudness_envelope(clipped, 25)
    assert np.all(envelope[:6] == 0.0)
    assert np.median(envelope[8:-5]) > 0.5


def test_performance_from_audio_carries_the_envelope(phrase):
    performance = performance_from_audio(phrase, 25)
    assert isinstance(performance, Performance)
    assert performance.fps == 25
    assert performance.frame_count == math.ceil(phrase.duration * 25)
    np.testing.assert_array_equal(performance.loudness, loudness_envelope(phrase, 25))
    assert performance.head is None and performance.pause is None
