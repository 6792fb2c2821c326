"""Lip-sync accuracy on speech whose word timing is known (tests/data/speech, built word by word).

The mouth curves checked here are what the renderer receives (conditioning.visemes), sampled at
25 fps: closed in the silences between words, open in every word, and shut at least once inside
"mama", "papa" and "bubble" between two open frames.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import load_audio
from studio.analysis.lipsync import analyze
from studio.analysis.lipsync.features import speech_mask
from studio.analysis.lipsync.fill import ANTICIPATION_HOLD
from studio.conditioning.visemes import viseme_mouth

DATA = Path(__file__).resolve().parent / "data" / "speech"
TABLE = json.loads((DATA / "utterances.json").read_text())
FPS = 25.0
CLOSED, OPEN = 0.05, 0.2


def _utterance(name: str):
    return load_audio(DATA / TABLE[name]["wav"]), TABLE[name]


@pytest.fixture(scope="module")
def bilabials():
    return _utterance("bilabials_en")


@pytest.fixture(scope="module")
def aligned(bilabials):
    clip, info = bilabials
    return analyze(clip, transcript=info["transcript"], mode="phonemes")


@pytest.fixture(scope="module")
def by_signal(bilabials):
    clip, _ = bilabials
    return analyze(clip, mode="signal")


@pytest.fixture(scope="module")
def german():
    return _utterance("german")


def _mouth(analysis, info):
    times = np.arange(int(info["duration"] * FPS)) / FPS
    return times, viseme_mouth(analysis.visemes, times)


def _check_silences_closed(analysis, info):
    times, mouth = _mouth(analysis, info)
    words = info["words"]
    edges = [(0.0, words[0]["start"])]
    edges += [(a["end"], b["start"]) for a, b in zip(words, words[1:])]
    edges += [(words[-1]["end"], info["duration"])]
    for lo, hi in edges:
        inside = (times > lo + 0.1) & (times < hi - 0.1)
        assert inside.any()
        assert mouth["jawOpen"][inside].max() < CLOSED, f"mouth open in the pause {lo:.2f}-{hi:.2f} s"


def _check_words_open(analysis, info):
    times, mouth = _mouth(analysis, info)
    for word in info["words"]:
        inside = (times >= word["start"]) & (times < word["end"])
        assert mouth["jawOpen"][inside].max() > OPEN, f"mouth never opens in '{word['word']}'"


def _check_inner_closures(analysis, info):
    times, mouth = _mouth(analysis, info)
    for word in info["words"]:
        if word["word"] not in ("mama", "papa", "bubble"):
            continue
        inside = np.flatnonzero((times >= word["start"] - 0.04) & (times < word["end"] + 0.04))
        jaw, press = mouth["jawOpen"][inside], mouth["mouthPressLeft"][inside]
        opened = np.flatnonzero(jaw > OPEN)
        assert opened.size >= 2, f"'{word['word']}' does not open twice"
        between = np.arange(opened[0] + 1, opened[-1])
        shut = between[(jaw[between] < CLOSED) & (press[between] > 0.3)]
        assert shut.size >= 1, f"no lip closure inside '{word['word']}': jaw {np.round(jaw, 2)}"


def test_alignment_is_used_with_a_transcript(aligned):
    assert aligned.method == "alignment"
    words = [p.word for p in aligned.phones if p.word]
    assert sorted(set(words)) == sorted(TABLE["bilabials_en"]["transcript"].split())


def test_aligned_words_land_on_their_known_timing(aligned, bilabials):
    _, info = bilabials
    for word in info["words"]:
        phones = [p for p in aligned.phones if p.word == word["word"]]
        middle = (phones[0].start + phones[-1].end) / 2
        assert word["start"] - 0.02 <= middle <= word["end"] + 0.02, word
        assert abs(phones[-1].end - word["end"]) < 0.1, word


def test_aligned_mouth_closed_in_silences(aligned, bilabials):
    _check_silences_closed(aligned, bilabials[1])


def test_aligned_mouth_opens_in_every_word(aligned, bilabials):
    _check_words_open(aligned, bilabials[1])


def test_aligned_closure_inside_mama_papa_bubble(aligned, bilabials):
    _check_inner_closures(aligned, bilabials[1])


def test_viseme_boundaries_within_a_frame_of_phoneme_or_sound_boundaries(aligned):
    """Boundaries are the phonemes', or where the sound starts or stops (a rest is never left
    over sound), a shape before a pause held ANTICIPATION_HOLD past its end."""
    speech = speech_mask(aligned.features).astype(np.int8)
    sound_edges = np.flatnonzero(np.diff(speech)) / aligned.features.frame_rate
    phone_edges = np.array(sorted({round(p.start, 4) for p in aligned.phones}
                                  | {round(p.end, 4) for p in aligned.phones}))
    edges = np.concatenate([phone_edges, sound_edges])
    edges = np.concatenate([edges, edges + ANTICIPATION_HOLD])
    for seg in aligned.visemes:
        for edge in (seg.start, seg.end):
            assert np.abs(edges - edge).min() <= 1.0 / FPS, edge


def test_visemes_follow_the_phonemes(aligned):
    """m/b/p give closures, f/v lip-to-teeth, w rounds: the documented table in action."""
    for phone in aligned.phones:
        middle = (phone.start + phone.end) / 2
        seg = next(s for s in aligned.visemes if s.start <= middle < s.end)
        if phone.phone in ("M", "B", "P") and phone.end - phone.start >= 0.04:
            assert seg.viseme == "MBP", phone


def test_out_of_dictionary_word_is_spelled_not_dropped():
    clip, info = _utterance("oov_en")
    result = analyze(clip, transcript=info["transcript"], mode="phonemes")
    assert result.method == "alignment"
    phones = [p for p in result.phones if p.word == "zorblax"]
    assert [p.phone for p in phones][:2] == ["Z", "AO"]
    truth = next(w for w in info["words"] if w["word"] == "zorblax")
    assert abs(phones[0].start - truth["start"]) < 0.1
    assert abs(phones[-1].end - truth["end"]) < 0.1
    assert any(s.viseme == "MBP" and truth["start"] <= s.start < truth["end"] for s in result.visemes)


def test_signal_mode_mouth_closed_in_silences(by_signal, bilabials):
    assert by_signal.method == "signal" and by_signal.phones == []
    _check_silences_closed(by_signal, bilabials[1])


def test_signal_mode_mouth_opens_in_every_word(by_signal, bilabials):
    _check_words_open(by_signal, bilabials[1])


def test_signal_mode_closure_inside_mama_papa_bubble(by_signal, bilabials):
    _check_inner_closures(by_signal, bilabials[1])


def test_signal_mode_on_german_speech(german):
    clip, info = german
    result = analyze(clip, mode="signal")
    _check_silences_closed(result, info)
    _check_words_open(result, info)


def test_auto_mode_falls_back_to_the_signal_on_german(german):
    clip, info = german
    result = analyze(clip, mode="auto")
    assert result.method == "signal", f"recognition trusted at agreement {result.agreement:.3f}"
    _check_words_open(result, info)


def test_auto_mode_trusts_recognition_on_english_without_transcript(bilabials):
    clip, info = bilabials
    result = analyze(clip, mode="auto")
    assert result.method == "recognition", f"agreement {result.agreement:.3f}"
    _check_silences_closed(result, info)
