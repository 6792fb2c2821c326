"""Lip-sync accuracy and speed on speech of known timing, and Rhubarb Lip Sync beside it when
a build is on the machine (issue 14, part 3).

Speech: eSpeak NG words, each trimmed to its sound (so every word's span is known exactly):
- twenty isolated words, each its own clip with no silence around it;
- the same words in one clip, 0.45 s of silence between them;
- a read passage built word by word with 0.06 s gaps (continuous speech).
Figures per method (the studio's transcript alignment, automatic and signal modes; Rhubarb
with and without the dialog text):
- words opened: words with a frame whose mouth is open (jawOpen > 0.08 at 25 fps);
- open share: frames inside words that are open;
- mid-word closures: bilabial words shut between two open frames; false closures: words
  without a bilabial that shut between two open frames;
- onset: mean lateness of the first open frame after a word's start (ms);
- segments per second of speech (flicker);
- speed: seconds of audio per second of analysis.

Run: .venv/bin/python bench/bench_lipsync.py [--rhubarb PATH]   (needs espeak-ng; Rhubarb is
looked for as $RHUBARB or `rhubarb` on PATH and skipped when absent; nothing of it is part of
this repository)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.analysis.audio import load_audio  # noqa: E402
from studio.analysis.lipsync import analyze  # noqa: E402
from studio.conditioning.visemes import viseme_mouth  # noqa: E402
from studio.doc.project import VisemeSegment  # noqa: E402
from studio.exchange import rhubarb  # noqa: E402

RATE, FPS, OPEN = 16000, 25, 0.08
WORDS = ["simple", "shoe", "mama", "number", "happy", "window", "five", "hello", "table",
         "garden", "thought", "yellow", "cheese", "apple", "orange", "bubble", "moon", "river",
         "sugar", "lamp"]
PASSAGE = ("the old man walked slowly by the river and stopped to watch the boats move past "
           "the bridge before the rain began to fall on the empty market square").split()
BILABIAL = ("m", "b", "p")


def speak(word: str) -> np.ndarray:
    from scipy.signal import resample_poly

    raw = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", word], capture_output=True,
                         check=True).stdout
    with wave.open(__import__("io").BytesIO(raw)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32)
    samples = resample_poly(samples, RATE, rate).astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(samples) > 0.01 * np.abs(samples).max())
    return samples[loud[0]:loud[-1] + 1]


def write(path: Path, words: list[str], gap: float, lead: float) -> list[tuple[str, float, float]]:
    pieces, spans, t = [np.zeros(int(lead * RATE), np.float32)], [], lead
    for word in words:
        s = speak(word)
        spans.append((word, t, t + len(s) / RATE))
        pieces += [s, np.zeros(int(gap * RATE), np.float32)]
        t += len(s) / RATE + int(gap * RATE) / RATE
    pieces.append(np.zeros(int(lead * RATE), np.float32))
    audio = (np.concatenate(pieces) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes(audio.tobytes())
    return spans


def studio_visemes(path: Path, mode: str, transcript: str | None) -> tuple[list, float]:
    clip = load_audio(path)
    start = time.perf_counter()
    result = analyze(clip, transcript=transcript, mode=mode)
    return result.visemes, time.perf_counter() - start


def rhubarb_visemes(exe: str, path: Path, transcript: str | None) -> tuple[list, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "-q", "-f", "json", str(path)]
        if transcript:
            dialog = Path(tmp) / "dialog.txt"
            dialog.write_text(transcript)
            cmd[1:1] = ["-d", str(dialog)]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        took = time.perf_counter() - start
    cues = rhubarb.parse_json(out)
    return [VisemeSegment(c.start / 100, c.end / 100, rhubarb.TO_VISEME[c.shape])
            for c in cues], took


def figures(visemes: list, spans: list, duration: float) -> dict:
    times = np.arange(int(duration * FPS)) / FPS
    mouth = viseme_mouth(visemes, times)
    jaw = mouth["jawOpen"]
    shut = mouth["mouthPressLeft"] > 0.3
    opened, inside, late, closures, false = 0, [], [], [0, 0], [0, 0]
    for word, a, b in spans:
        frames = np.flatnonzero((times >= a) & (times < b))
        is_open = jaw[frames] > OPEN
        inside += list(is_open)
        if is_open.any():
            opened += 1
            late.append(max(0.0, times[frames[np.argmax(is_open)]] - a))
        idx = np.flatnonzero(is_open)
        between = idx.size >= 2 and shut[frames[idx[0]:idx[-1] + 1]].any()
        bucket = closures if any(c in word for c in BILABIAL) else false
        bucket[0] += int(between)
        bucket[1] += 1
    speech = sum(b - a for _, a, b in spans)
    in_speech = [s for s in visemes if any(s.end > a and s.start < b for _, a, b in spans)]
    return {"opened": f"{opened}/{len(spans)}", "open share": np.mean(inside),
            "closures": f"{closures[0]}/{closures[1]}", "false closures": f"{false[0]}/{false[1]}",
            "onset ms": 1000 * float(np.mean(late)) if late else float("nan"),
            "segments/s": len(in_speech) / speech}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rhubarb", default=os.environ.get("RHUBARB") or shutil.which("rhubarb"))
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        print("bench_lipsync: espeak-ng is not installed; skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sets = {"twenty words, one clip": (folder / "words.wav", WORDS, 0.45, 0.5),
                "read passage": (folder / "passage.wav", PASSAGE, 0.06, 0.5)}
        clips = {name: (path, write(path, words, gap, lead), " ".join(words))
                 for name, (path, words, gap, lead) in sets.items()}
        alone = [(folder / f"{w}.wav", write(folder / f"{w}.wav", [w], 0, 0), w) for w in WORDS]
        methods = {"studio transcript": lambda p, t: studio_visemes(p, "phonemes", t),
                   "studio auto": lambda p, t: studio_visemes(p, "auto", None),
                   "studio signal": lambda p, t: studio_visemes(p, "signal", None)}
        if args.rhubarb:
            methods["rhubarb dialog"] = lambda p, t: rhubarb_visemes(args.rhubarb, p, t)
            methods["rhubarb"] = lambda p, t: rhubarb_visemes(args.rhubarb, p, None)
        else:
            print("(no Rhubarb build found: the studio alone)")
        for name, fn in methods.items():
            opened = 0
            for path, spans, text in alone:
                visemes, _ = fn(path, text)
                opened += figures(visemes, spans, spans[-1][2])["opened"].startswith("1/")
            print(f"{name:18s} isolated trimmed words opened: {opened}/{len(alone)}")
            for clip, (path, spans, text) in clips.items():
                visemes, took = fn(path, text)
                duration = load_audio(path).duration
                row = figures(visemes, spans, duration)
                row["speed x"] = duration / took
                print(f"{name:18s} {clip:24s} " + "  ".join(
                    f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
