"""Automatic head motion, brows and pause weights from real speech (analyze_performance)."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.speech import analyze_performance
from studio.doc.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "speech"
INFO = json.loads((DATA / "utterances.json").read_text())["bilabials_en"]
FPS = 25
TAIL = 3.0  # seconds of silence appended, for settling


@pytest.fixture(scope="module")
def with_tail(tmp_path_factory) -> Path:
    """The word-by-word utterance followed by three seconds of silence."""
    path = tmp_path_factory.mktemp("speech") / "tail.wav"
    with wave.open(str(DATA / INFO["wav"])) as src:
        params, pcm = src.getparams(), src.readframes(src.getnframes())
    with wave.open(str(path), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(pcm + bytes(2 * int(TAIL * params.framerate)))
    return path


@pytest.fixture(scope="module")
def analysed(with_tail):
    return analyze_performance(with_tail, FPS, seed=3)


def test_every_track_has_one_row_per_frame(analysed):
    performance, visemes = analysed
    n = performance.frame_count
    assert n == pytest.approx((INFO["duration"] + TAIL) * FPS, abs=1)
    assert performance.head.shape == (n, 5)
    assert performance.pause.shape == (n,)
    assert {"browInnerUp", "cheekSquintLeft", "cheekSquintRight"} <= set(performance.expressive)
    assert visemes and visemes[-1].end == pytest.approx(INFO["duration"] + TAIL, abs=0.02)


def test_head_moves_while_speaking_and_nods_down_on_emphasis(analysed):
    head = analysed[0].head
    speaking = slice(int(INFO["words"][0]["start"] * FPS), int(INFO["words"][-1]["end"] * FPS))
    assert np.ptp(head[speaking, 0]) > 0.3  # yaw drifts
    assert head[speaking, 1].min() < -1.0  # the chin dips on stressed syllables
    assert np.abs(head[:, :3]).max() < 10.0  # degrees: natural, not wild
    assert np.abs(head[:, 3:]).max() < 0.05  # face widths


def test_head_settles_in_silence(analysed):
    head = analysed[0].head
    last_second = head[-FPS:]
    assert np.abs(last_second[:, :3]).max() < 0.05
    assert np.abs(last_second[:, 3:]).max() < 0.001
    assert np.abs(head[0, :3]).max() < 0.1  # at rest half a second before the first word


def test_head_motion_is_band_limited(analysed):
    """No frame-to-frame jitter: almost no energy above 3 Hz in any channel."""
    head = analysed[0].head.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(head - head.mean(axis=0), axis=0)) ** 2
    freqs = np.fft.rfftfreq(head.shape[0], 1.0 / FPS)
    high = spectrum[freqs > 3.0].sum(axis=0) / spectrum.sum(axis=0)
    assert high.max() < 0.01, high


def test_head_motion_is_deterministic_for_a_seed(with_tail, analysed):
    again, _ = analyze_performance(with_tail, FPS, seed=3)
    other, _ = analyze_performance(with_tail, FPS, seed=4)
    np.testing.assert_array_equal(again.head, analysed[0].head)
    assert np.abs(other.head[:, 0] - analysed[0].head[:, 0]).max() > 0.1


def test_pause_weights_peak_between_words(analysed):
    pause = analysed[0].pause
    words = INFO["words"]
    in_words = np.concatenate([pause[int((w["start"] + 0.1) * FPS):int((w["end"] - 0.1) * FPS)]
                               for w in words])
    gaps = [pause[int((a["end"] + b["start"]) / 2 * FPS)] for a, b in zip(words, words[1:])]
    assert 0.0 <= pause.min() and pause.max() <= 1.0
    assert min(gaps) > in_words.max() + 0.3
    phrase_end = int((words[-1]["end"] + 0.2) * FPS)
    assert pause[phrase_end:phrase_end + FPS // 4].min() > 0.8  # blinks cluster at phrase ends
    assert pause[-FPS:].min() >= 0.5 > in_words.max()  # long silence: still more than speech


def test_brows_rise_with_speech_and_rest_in_silence(analysed):
    brow = analysed[0].expressive["browInnerUp"]
    assert brow.max() > 0.1
    assert brow[-FPS:].max() < 0.01


def test_transcript_beside_the_audio_is_used(tmp_path, speech_path, transcript_path):
    audio = tmp_path / "take.wav"
    shutil.copy(speech_path, audio)
    _, without = analyze_performance(audio, FPS, mode="phonemes")
    shutil.copy(transcript_path, tmp_path / "take.txt")
    _, beside = analyze_performance(audio, FPS, mode="phonemes")
    _, given = analyze_performance(audio, FPS, transcript=transcript_path.read_text(), mode="phonemes")
    assert beside == given
    assert beside != without


def test_bad_mode_and_missing_transcript_file_are_refused(speech_path):
    with pytest.raises(InputError, match="lip-sync mode"):
        analyze_performance(speech_path, FPS, mode="magic")
    with pytest.raises(InputError, match="notes.txt"):
        analyze_performance(speech_path, FPS, transcript="notes.txt")
