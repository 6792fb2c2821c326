"""Build the test utterances word by word, so every word's timing is known exactly.

Each word is spoken alone by eSpeak NG, converted to 16 kHz mono by sox, trimmed to where its
samples rise above 1 % of its peak, and placed after a silence of known length. The word spans
land in utterances.json; the wavs are committed, so tests need neither espeak-ng nor sox.

Run from the repository root: python tests/data/speech/make_utterances.py
`... make_utterances.py trimmed` writes only the words trimmed to their sound, with no silence
around them (trimmed_WORD.wav and trimmed.json), as a word cut from a longer take arrives;
`... make_utterances.py continuous` the read passage with 0.06 s between words
(passage_en.wav and continuous.json).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RATE = 16000
LEAD = 0.5  # seconds of silence before the first word and after the last
GAP = 0.45  # seconds of silence between words

UTTERANCES = {
    # Bilabials inside words (closures to find), rounded and spread vowels, lip-teeth "f"/"v".
    "bilabials_en": ("en-us", ["mama", "papa", "bubble", "window", "five", "hello"]),
    # A word outside the pronouncing dictionary: it must be spelled by rule, not dropped.
    "oov_en": ("en-us", ["the", "zorblax", "moved", "away"]),
    # Speech that is not English, for the language-independent signal mode.
    "german": ("de", ["guten", "Morgen", "wie", "geht", "es", "dir", "heute"]),
}


def speak(voice: str, word: str, workdir: Path) -> np.ndarray:
    raw, converted = workdir / "raw.wav", workdir / "word.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), word], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(converted)],
                   check=True)
    with wave.open(str(converted)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
    loud = np.flatnonzero(np.abs(samples) > 0.01 * np.abs(samples).max())
    return samples[loud[0]:loud[-1] + 1]


def build(name: str, voice: str, words: list[str], workdir: Path, gap_between: float = GAP
          ) -> dict:
    pieces, spans, t = [np.zeros(int(LEAD * RATE), np.float32)], [], LEAD
    for i, word in enumerate(words):
        samples = speak(voice, word, workdir)
        spans.append({"word": word, "start": round(t, 4), "end": round(t + len(samples) / RATE, 4)})
        pieces.append(samples)
        t += len(samples) / RATE
        gap = LEAD if i == len(words) - 1 else gap_between
        pieces.append(np.zeros(int(gap * RATE), np.float32))
        t += int(gap * RATE) / RATE
    audio = np.concatenate(pieces)
    with wave.open(str(HERE / f"{name}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(audio, -32768, 32767).astype("<i2").tobytes())
    return {"wav": f"{name}.wav", "voice": voice, "transcript": " ".join(words),
            "duration": round(len(audio) / RATE, 4), "words": spans}


# Words alone, trimmed to their sound: "shoe" once found no speech at all (no silence to
# measure the noise floor from) and stayed at rest.
TRIMMED = ("en-us", ["shoe", "simple", "moon", "yellow", "mama", "number", "happy", "lamp"])


def build_trimmed() -> None:
    voice, words = TRIMMED
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for word in words:
            samples = speak(voice, word, Path(tmp))
            with wave.open(str(HERE / f"trimmed_{word}.wav"), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
            table[word] = {"wav": f"trimmed_{word}.wav", "voice": voice,
                           "duration": round(len(samples) / RATE, 4)}
    (HERE / "trimmed.json").write_text(json.dumps(table, indent=2) + "\n")


# Continuous speech: a read passage, 0.06 s between words (a breath-free reading pace), for
# rests inside words, onset timing and flicker where words run into each other.
CONTINUOUS = ("en-us", ("the old man walked slowly by the river and stopped to watch the boats "
                        "move past the bridge before the rain began to fall on the empty market "
                        "square").split(), 0.06)


def build_continuous() -> None:
    voice, words, gap = CONTINUOUS
    with tempfile.TemporaryDirectory() as tmp:
        table = {"passage_en": build("passage_en", voice, words, Path(tmp), gap)}
    (HERE / "continuous.json").write_text(json.dumps(table, indent=2) + "\n")


def main() -> None:
    import sys

    if sys.argv[1:] == ["trimmed"]:
        build_trimmed()
        return
    if sys.argv[1:] == ["continuous"]:
        build_continuous()
        return
    with tempfile.TemporaryDirectory() as tmp:
        table = {name: build(name, voice, words, Path(tmp))
                 for name, (voice, words) in UTTERANCES.items()}
    (HERE / "utterances.json").write_text(json.dumps(table, indent=2) + "\n")


if __name__ == "__main__":
    main()
