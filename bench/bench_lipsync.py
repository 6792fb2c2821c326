"""Lip-sync accuracy, speed and memory on speech of known timing, and Rhubarb Lip Sync beside it
when a build is on the machine (issue 14, part 3).

Speech: eSpeak NG words, each trimmed to its sound (so every word's span is known exactly):
- twenty isolated words, each its own clip with no silence around it;
- the same words in one clip, 0.45 s of silence between them;
- a read passage built word by word with 0.06 s gaps (continuous speech), clean and with
  pink noise at 10 dB SNR;
- a long clip (10 minutes by default): the passage's sentences over and over, 0.06 s between
  words and 0.4 s between sentences.
Figures per method (the studio's transcript alignment, automatic and signal modes; Rhubarb
with and without the dialog text), from the mouth curves the renderer receives:
- opened: words with a frame whose mouth is open (jawOpen > 0.08 at 25 fps);
- open: share of the frames inside words that are open (rests inside words lower it);
- closures: bilabial words shut between two open frames; false: words without a bilabial
  that shut between two open frames (the pronouncing dictionary says which is which);
- rounded: words with a rounded sound (w, oo, o, aw, ow) whose lips round (pucker >= 0.25);
  unrounded: words without one whose lips round;
- onset ms: mean lateness of the mouth's first opening after a word's start, on a 1 ms grid
  (not frame-quantised, so a method that opens before the word scores 0);
- seg/s: segments per second of speech (flicker);
- speed x: seconds of audio per CPU second of analysis (all threads; the machine is shared);
- long clip: the same figures, and the peak memory (MB) of the analysing process.

Run: .venv/bin/python bench/bench_lipsync.py [--rhubarb PATH] [--minutes 10] [--only studio]
(needs espeak-ng; Rhubarb is looked for as $RHUBARB or `rhubarb` on PATH and skipped when
absent; nothing of it is part of this repository)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.conditioning.visemes import viseme_mouth  # noqa: E402
from studio.doc.project import VisemeSegment  # noqa: E402
from studio.exchange import rhubarb  # noqa: E402

RATE, FPS, OPEN, ROUND = 16000, 25, 0.08, 0.25
WORDS = ["simple", "shoe", "mama", "number", "happy", "window", "five", "hello", "table",
         "garden", "thought", "yellow", "cheese", "apple", "orange", "bubble", "moon", "river",
         "sugar", "lamp"]
PASSAGE = ("the old man walked slowly by the river and stopped to watch the boats move past "
           "the bridge before the rain began to fall on the empty market square").split()
SENTENCES = ["the old man walked slowly by the river", "and stopped to watch the boats",
             "move past the bridge", "before the rain began to fall",
             "on the empty market square"]
BILABIAL = {"M", "B", "P"}
ROUNDED = {"W", "UW", "UH", "OW", "AO", "OY"}


@lru_cache(maxsize=None)
def speak(word: str) -> np.ndarray:
    from scipy.signal import resample_poly

    raw = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", word], capture_output=True,
                         check=True).stdout
    with wave.open(io.BytesIO(raw)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32)
    samples = resample_poly(samples, RATE, rate).astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(samples) > 0.01 * np.abs(samples).max())
    return samples[loud[0]:loud[-1] + 1]


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    white = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    white /= np.sqrt(np.maximum(np.arange(white.size), 1))
    noise = np.fft.irfft(white, n)
    return (noise / noise.std()).astype(np.float32)


def write(path: Path, phrases: list[list[str]], gap: float, pause: float, lead: float,
          snr_db: float | None = None) -> list[tuple[str, float, float]]:
    """A clip of `phrases` (words `gap` s apart, phrases `pause` s apart); the word spans."""
    pieces, spans, t = [np.zeros(int(lead * RATE), np.float32)], [], lead
    for k, phrase in enumerate(phrases):
        for j, word in enumerate(phrase):
            s = speak(word)
            spans.append((word, t, t + len(s) / RATE))
            rest = pause if j == len(phrase) - 1 and k < len(phrases) - 1 else gap
            pieces += [s, np.zeros(int(rest * RATE), np.float32)]
            t += (len(s) + int(rest * RATE)) / RATE
    pieces.append(np.zeros(int(lead * RATE), np.float32))
    audio = np.concatenate(pieces)
    if snr_db is not None:
        level = np.sqrt(np.mean(np.concatenate([speak(w) for w, _, _ in spans[:40]]) ** 2))
        audio = audio + pink_noise(len(audio)) * level * 10 ** (-snr_db / 20)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return spans


@lru_cache(maxsize=None)
def pronunciation(word: str) -> set[str]:
    from studio.analysis.lipsync.sphinx import _model_paths

    if not hasattr(pronunciation, "table"):
        table: dict[str, set[str]] = {}
        for line in Path(_model_paths()[1]).read_text().splitlines():
            name, *phones = line.split()
            table.setdefault(name.split("(")[0], set()).update(phones)
        pronunciation.table = table  # type: ignore[attr-defined]
    return pronunciation.table[word]  # type: ignore[attr-defined]


# -- the methods: each gives (viseme segments, CPU seconds, peak MB or None) ------------------

# A process reports as its peak memory the largest of its own and its parent's at the fork
# (Linux keeps the high-water mark across exec), so each measured run is started by a small
# wrapper process that reads its child's peak and CPU time.
_WRAPPER = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], "
            "capture_output=True, text=True); u = resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(r.stdout); print(json.dumps([r.returncode, u.ru_utime + u.ru_stime, "
            "u.ru_maxrss / 1024]))")


def measured(cmd: list[str]) -> tuple[str, float, float]:
    """Run `cmd` alone: its output, CPU seconds and peak memory (MB)."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True,
                         check=True).stdout.rstrip().splitlines()
    code, cpu, peak = json.loads(out[-1])
    if code:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed")
    return "\n".join(out[:-1]), cpu, peak


def studio_child(path: Path, mode: str, transcript: str | None) -> tuple[list, float, float]:
    """The studio's lip sync in a process of its own: its segments, the CPU time of the
    analysis (not of Python's start) and the process's peak memory."""
    out, _, peak = measured([sys.executable, __file__, "--analyse", str(path), mode,
                             transcript or ""])
    result = json.loads(out.splitlines()[-1])
    return [VisemeSegment(a, b, v) for a, b, v in result["visemes"]], result["cpu"], peak


def analyse_here(path: str, mode: str, transcript: str) -> None:
    """The child's side of studio_child: decode, analyse, print JSON."""
    from studio.analysis.audio import load_audio
    from studio.analysis.lipsync import analyze

    start = time.process_time()
    result = analyze(load_audio(path), transcript=transcript or None, mode=mode)
    cpu = time.process_time() - start
    print(json.dumps({"visemes": [(s.start, s.end, s.viseme) for s in result.visemes],
                      "cpu": cpu}))


def studio_here(path: Path, mode: str, transcript: str | None) -> tuple[list, float, None]:
    from studio.analysis.audio import load_audio
    from studio.analysis.lipsync import analyze

    clip = load_audio(path)
    start = time.process_time()
    result = analyze(clip, transcript=transcript, mode=mode)
    return result.visemes, time.process_time() - start, None


def rhubarb_run(exe: str, path: Path, transcript: str | None) -> tuple[list, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "-q", "-f", "json", "-o", str(Path(tmp) / "cues.json"), str(path)]
        if transcript:
            dialog = Path(tmp) / "dialog.txt"
            dialog.write_text(transcript)
            cmd[1:1] = ["-d", str(dialog)]
        _, cpu, peak = measured(cmd)
        cues = rhubarb.parse_json((Path(tmp) / "cues.json").read_text())
    return [VisemeSegment(c.start / 100, c.end / 100, rhubarb.TO_VISEME[c.shape])
            for c in cues], cpu, peak


# -- the figures ------------------------------------------------------------------------------

def figures(visemes: list, spans: list, duration: float) -> dict:
    times = np.arange(int(duration * FPS)) / FPS
    mouth = viseme_mouth(visemes, times)
    jaw, shut = mouth["jawOpen"], mouth["mouthPressLeft"] > 0.3
    rounded = mouth["mouthPucker"] >= ROUND
    fine = np.arange(0.0, duration, 0.001)
    fine_open = viseme_mouth(visemes, fine)["jawOpen"] > OPEN
    opened, inside, late = 0, [], []
    counts = {k: [0, 0] for k in ("closures", "false", "rounded", "unrounded")}
    for word, a, b in spans:
        frames = np.flatnonzero((times >= a) & (times < b))
        is_open = jaw[frames] > OPEN
        inside += list(is_open)
        opened += bool(is_open.any())
        grid = np.flatnonzero((fine >= a) & (fine < b) & fine_open)
        late.append(fine[grid[0]] - a if grid.size else b - a)
        idx = np.flatnonzero(is_open)
        between = idx.size >= 2 and shut[frames[idx[0]:idx[-1] + 1]].any()
        phones = pronunciation(word)
        counts["closures" if phones & BILABIAL else "false"][0] += int(between)
        counts["closures" if phones & BILABIAL else "false"][1] += 1
        kind = "rounded" if phones & ROUNDED else "unrounded"
        counts[kind][0] += int(rounded[frames].any())
        counts[kind][1] += 1
    speech = sum(b - a for _, a, b in spans)
    in_speech = [s for s in visemes if s.viseme != "rest"
                 and any(s.end > a and s.start < b for _, a, b in spans)]
    row = {"opened": f"{opened}/{len(spans)}", "open": float(np.mean(inside))}
    row.update({k: f"{v[0]}/{v[1]}" for k, v in counts.items()})
    row.update({"onset ms": 1000 * float(np.mean(late)), "seg/s": len(in_speech) / speech})
    return row


def show(name: str, clip: str, row: dict) -> None:
    print(f"{name:17s} {clip:16s} " + "  ".join(
        f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
        flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rhubarb", default=os.environ.get("RHUBARB") or shutil.which("rhubarb"))
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long clip")
    parser.add_argument("--only", choices=("studio", "rhubarb"),
                        help="run only the studio's methods or only Rhubarb's")
    parser.add_argument("--analyse", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.analyse:
        analyse_here(*args.analyse)
        return 0
    if shutil.which("espeak-ng") is None:
        print("bench_lipsync: espeak-ng is not installed; skipped")
        return 0
    if args.rhubarb and not Path(args.rhubarb).is_file():
        print(f"bench_lipsync: no Rhubarb at {args.rhubarb}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        words = [[w] for w in WORDS]
        sets = {"twenty words": (words, 0.45, 0.45, None),
                "read passage": ([PASSAGE], 0.06, 0.06, None),
                "noisy passage": ([PASSAGE], 0.06, 0.06, 10.0)}
        clips = {}
        for name, (phrases, gap, pause, snr) in sets.items():
            path = folder / f"{name.replace(' ', '_')}.wav"
            clips[name] = (path, write(path, phrases, gap, pause, 0.5, snr))
        repeats = max(1, round(args.minutes * 60 / 13.5))
        long_path = folder / "long.wav"
        long_spans = write(long_path, [s.split() for s in SENTENCES] * repeats, 0.06, 0.4, 0.5)
        alone = [(folder / f"{w}.wav", write(folder / f"{w}.wav", [[w]], 0, 0, 0)) for w in WORDS]
        methods = {"studio transcript": (studio_here, studio_child, "phonemes", True),
                   "studio auto": (studio_here, studio_child, "auto", False),
                   "studio signal": (studio_here, studio_child, "signal", False)}
        if args.rhubarb:
            methods["rhubarb dialog"] = (None, None, args.rhubarb, True)
            methods["rhubarb"] = (None, None, args.rhubarb, False)
        else:
            print("(no Rhubarb build found: the studio alone)")
        for name, (here, child, how, dialog) in methods.items():
            if args.only and not name.startswith(args.only):
                continue
            def call(path, spans, in_child=False):
                text = " ".join(w for w, _, _ in spans) if dialog else None
                if here is None:
                    return rhubarb_run(how, path, text)
                return (child if in_child else here)(path, how, text)

            opened = 0
            for path, spans in alone:
                visemes, _, _ = call(path, spans)
                opened += figures(visemes, spans, spans[-1][2])["opened"] == "1/1"
            print(f"{name:17s} {'isolated words':16s} opened {opened}/{len(alone)}", flush=True)
            for clip, (path, spans) in clips.items():
                visemes, cpu, _ = call(path, spans)
                duration = spans[-1][2] + 0.5
                row = figures(visemes, spans, duration)
                row["speed x"] = duration / max(cpu, 1e-3)
                show(name, clip, row)
            visemes, cpu, peak = call(long_path, long_spans, in_child=True)
            duration = long_spans[-1][2] + 0.5
            row = figures(visemes, long_spans, duration)
            row["speed x"] = duration / max(cpu, 1e-3)
            row["peak MB"] = peak
            show(name, f"{duration / 60:.1f}-min clip", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
