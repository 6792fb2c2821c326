"""Lip sync on continuous speech of known timing (tests/data/speech/continuous.json: a read
passage built word by word, 0.06 s between words), clean and under pink noise, in every mode.

What is checked is what the renderer receives (conditioning.visemes at 25 fps, and on a 1 ms
grid for timing): the mouth stays open through words (no rest while the voice sounds), opens
when a word starts, does not flicker, shuts mid-word only in words with an m, b or p, and
rounds for rounded vowels in the language-independent signal mode too (issue 14 part 3).
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import AudioClip, load_audio
from studio.analysis.lipsync import analyze
from studio.analysis.lipsync import features as feats
from studio.conditioning.visemes import viseme_mouth

DATA = Path(__file__).resolve().parent / "data" / "speech"
PASSAGE = json.loads((DATA / "continuous.json").read_text())["passage_en"]
FPS, OPEN = 25.0, 0.08  # jawOpen above FV's and the closures'
BILABIAL = {"man", "by", "stopped", "boats", "move", "past", "bridge", "before", "began", "empty",
            "market"}
ROUNDED = {"old", "slowly", "to", "boats", "move", "fall", "walked"}  # o, oo, aw
SPREAD = {"the", "by", "river", "and", "past", "bridge", "rain", "began", "empty", "market", "man"}


def _noisy(clip: AudioClip, snr_db: float, seed: int = 14) -> AudioClip:
    """The clip under pink noise `snr_db` below the speech."""
    n = len(clip.samples)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, n)
    speech = np.concatenate([clip.samples[int(w["start"] * clip.sample_rate):
                                          int(w["end"] * clip.sample_rate)]
                             for w in PASSAGE["words"]])
    noise *= np.sqrt(np.mean(speech ** 2)) / noise.std() * 10 ** (-snr_db / 20)
    return AudioClip(np.clip(clip.samples + noise, -1, 1).astype(np.float32), clip.sample_rate,
                     clip.path)


@pytest.fixture(scope="module")
def clean():
    return load_audio(DATA / PASSAGE["wav"])


@pytest.fixture(scope="module")
def results(clean):
    noisy = _noisy(clean, 10.0)
    out = {}
    for name, clip in (("clean", clean), ("noisy", noisy)):
        for mode in ("phonemes", "auto", "signal"):
            text = PASSAGE["transcript"] if mode == "phonemes" else None
            out[name, mode] = analyze(clip, transcript=text, mode=mode).visemes
    return out


def _figures(visemes) -> dict:
    duration = PASSAGE["duration"]
    times = np.arange(int(duration * FPS)) / FPS
    mouth = viseme_mouth(visemes, times)
    fine = np.arange(0.0, duration, 0.001)
    fine_open = viseme_mouth(visemes, fine)["jawOpen"] > OPEN
    inside, late, false, rounded, spread = [], [], [], [], []
    for word in PASSAGE["words"]:
        name, a, b = word["word"], word["start"], word["end"]
        frames = np.flatnonzero((times >= a) & (times < b))
        is_open = mouth["jawOpen"][frames] > OPEN
        inside += list(is_open)
        grid = np.flatnonzero((fine >= a) & (fine < b) & fine_open)
        late.append(fine[grid[0]] - a if grid.size else b - a)
        idx = np.flatnonzero(is_open)
        shut = idx.size >= 2 and (mouth["mouthPressLeft"][frames[idx[0]:idx[-1] + 1]] > 0.3).any()
        if name not in BILABIAL:
            false.append(shut)
        puckered = bool((mouth["mouthPucker"][frames] >= 0.25).any())
        if name in ROUNDED:
            rounded.append(puckered)
        if name in SPREAD:
            spread.append(puckered)
    speech = sum(w["end"] - w["start"] for w in PASSAGE["words"])
    shapes = [s for s in visemes if s.viseme != "rest" and any(
        s.end > w["start"] and s.start < w["end"] for w in PASSAGE["words"])]
    return {"open": float(np.mean(inside)), "late": float(np.mean(late)),
            "false": float(np.mean(false)), "rounded": float(np.mean(rounded)),
            "spread rounded": float(np.mean(spread)), "flicker": len(shapes) / speech}


@pytest.mark.parametrize("mode", ["phonemes", "auto", "signal"])
def test_the_mouth_stays_open_through_words_and_opens_on_time(results, mode):
    """Rests inside words were 30 % of the words' frames in every mode (a rest over the end of
    a word the aligner cut short, over a nasal the recogniser heard as a pause); words opened
    25-38 ms late."""
    figures = _figures(results["clean", mode])
    assert figures["open"] >= 0.85, figures
    assert figures["late"] <= 0.015, figures


@pytest.mark.parametrize("mode", ["phonemes", "auto", "signal"])
def test_no_flicker_and_no_closures_without_a_bilabial(results, mode):
    """Signal mode changed shape 15.6 times a second of speech and shut the lips in 4 of the 18
    words without an m, b or p; every mode then changed 6.1-7.1 times a second (a vowel's fading
    end filled as a breath, diphthongs split, one vowel gliding into another shown as two),
    now 4.2-5.7, under Rhubarb's 5.2-6.4 on the bench's passage."""
    figures = _figures(results["clean", mode])
    assert figures["flicker"] <= 6.0, figures
    assert figures["false"] <= 1 / 18 + 1e-9, figures


def test_signal_mode_rounds_the_lips_for_rounded_vowels_only(results):
    """Signal mode's rounded class was picked frame by frame and rarely lasted long enough to
    show: 1 of 12 rounded words."""
    figures = _figures(results["clean", "signal"])
    assert figures["rounded"] >= 0.8, figures  # 0.75 with a long vowel split in two shapes
    assert figures["spread rounded"] <= 0.4, figures


@pytest.mark.parametrize("take", ["clean", "noisy"])
def test_signal_mode_rounds_by_the_formants_not_the_centroid(results, take):
    """Ranked by spectral centroid, signal mode missed "walked" (and "slowly" under noise) and
    rounded 5 of 16 spread words clean, 7 under noise ("river", "empty", "market": an r- or
    l-coloured vowel is as dull as a rounded one); ranked by F1 + F2, both low only for
    rounded and back vowels, it rounds all 8 and 1-2 of the 16."""
    figures = _figures(results[take, "signal"])
    assert figures["rounded"] >= 0.99, figures
    assert figures["spread rounded"] <= 0.2, figures


@pytest.mark.parametrize("take", ["clean", "noisy"])
def test_signal_mode_rounds_the_lips_from_the_w_of_walked(results, take):
    """The w before a rounded vowel was "etc": "walked" rounded 68 ms (78 under noise) after it
    began, and the shapes changed once more; the lips round ahead of the vowel."""
    word = next(w for w in PASSAGE["words"] if w["word"] == "walked")
    fine = np.arange(word["start"], word["end"], 0.001)
    puckered = np.flatnonzero(viseme_mouth(results[take, "signal"], fine)["mouthPucker"] >= 0.25)
    assert puckered.size and puckered[0] <= 20, puckered[:1]


def test_signal_mode_keeps_the_lips_rounded_through_voiced_consonants(results):
    """A voiced consonant after a rounded vowel (the v of "move") was a shape
    of its own: 5.43 shapes a second of speech, 5.25 now that it stays rounded."""
    assert _figures(results["clean", "signal"])["flicker"] <= 5.3


def test_formants_of_a_synthetic_vowel():
    """An impulse train at 120 Hz through resonators at 300 and 870 Hz (an "oo"-like back
    vowel) and at 270 and 2290 Hz (an "ee"): F2 within 8 %, F1 within 20 % (linear prediction
    leans towards the nearest harmonic of a high voice)."""
    from scipy.signal import lfilter

    rate = feats.RATE
    source = np.zeros(rate // 2)
    source[::rate // 120] = 1.0
    for f1, f2 in ((300.0, 870.0), (270.0, 2290.0)):
        voice = source
        for freq, width in ((f1, 60.0), (f2, 90.0), (2800.0, 150.0)):
            r = np.exp(-np.pi * width / rate)
            voice = lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * freq / rate), r * r], voice)
        found = feats.compute((voice / np.abs(voice).max() * 0.5).astype(np.float32))
        middle = slice(10, len(found) - 10)
        assert abs(np.median(found.f1[middle]) - f1) < 0.2 * f1
        assert abs(np.median(found.f2[middle]) - f2) < 0.08 * f2


@pytest.mark.parametrize("mode", ["phonemes", "auto", "signal"])
def test_noisy_speech_still_opens_and_closes_right(results, mode):
    """Pink noise 10 dB under the voice: the speech mask drops out inside words and the noise's
    low end makes everything sound like a murmur, so the signal closed the lips at random."""
    figures = _figures(results["noisy", mode])
    assert figures["open"] >= (0.65 if mode == "signal" else 0.85), figures
    assert figures["false"] <= (0.25 if mode == "signal" else 0.12), figures


def test_a_transcript_is_aligned_to_noisy_speech_word_for_word(clean):
    """Under this noise the aligner's first chunk decoded with 28 words, was told it held one
    more, failed with 29 and dropped the chunk: the whole transcript fell back to recognition."""
    result = analyze(_noisy(clean, 10.0, seed=0), transcript=PASSAGE["transcript"],
                     mode="phonemes")
    assert result.method == "alignment"
    placed = [p.word.split("(")[0] for i, p in enumerate(result.phones)  # on(2): its 2nd spelling
              if p.word and (i == 0 or result.phones[i - 1].word != p.word)]
    assert placed == PASSAGE["transcript"].split()


def test_features_of_a_ten_minute_clip_hold_ten_seconds_of_spectra_at_most():
    """The features were computed a minute at a time: 270 MB of spectra for a long clip, most
    of the 490 MB a ten-minute analysis took (Rhubarb Lip Sync: 216 MB)."""
    samples = (np.random.default_rng(3).standard_normal(10 * 60 * feats.RATE) * 0.1).astype(np.float32)
    tracemalloc.start()
    try:
        features = feats.compute(samples)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(features) == 60000
    assert peak < 60e6, f"{peak / 1e6:.0f} MB"


def test_signal_mode_does_not_shut_the_lips_on_a_w_or_r_rising_out_of_a_pause(results):
    """The faint start of a w or an r after a pause looked like a b's voice bar (a murmur 15 dB
    under the vowels), so walked and watch began with the lips pressed shut, 15-20 ms
    into the word."""
    starts = [w["start"] for w in PASSAGE["words"] if w["word"] in ("walked", "watch")]
    assert len(starts) == 2
    shut = [a for a in starts for s in results["clean", "signal"]
            if s.viseme == "MBP" and s.start < a + 0.1 and s.end > a + 0.005]
    assert not shut, shut
