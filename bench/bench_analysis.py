"""Audio analysis speed on a 10-minute clip, against the 60 s target of issue 3.

The clip is the bundled sample looped a whole number of times (so the repeated transcript fits
it) with the ffmpeg that imageio-ffmpeg ships. Also measures
what a style edit costs: the style is applied at conditioning time, so an edit re-runs
build_controls on the existing analysis, never the analysis itself.

Run: .venv/bin/python bench/bench_analysis.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.analysis.audio import ffmpeg_exe  # noqa: E402
from studio.analysis.speech import analyze_performance  # noqa: E402
from studio.conditioning.sequence import build_controls  # noqa: E402
from studio.doc.project import Project, StyleKey  # noqa: E402
from studio.resources import SAMPLE_SPEECH, SAMPLE_TRANSCRIPT  # noqa: E402

SAMPLE = SAMPLE_SPEECH
LENGTH = 600.0
REPEATS = round(LENGTH / 13.18)  # whole loops of the 13.18 s sample
TARGET = 60.0
FPS = 25


def looped(path: Path) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-stream_loop", str(REPEATS - 1), "-i",
                    str(SAMPLE), "-ac", "1", str(path)], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "long.wav"
        looped(clip)
        with wave.open(str(clip)) as w:
            seconds = w.getnframes() / w.getframerate()
        start = time.perf_counter()
        performance, visemes = analyze_performance(clip, FPS, mode="auto")
        analysis = time.perf_counter() - start
        print(f"analysis {seconds:.0f} s clip (auto, no transcript): {analysis:.1f} s "
              f"({TARGET / analysis:.1f}x faster than the {TARGET:.0f} s target)")

        text = " ".join([SAMPLE_TRANSCRIPT.read_text()] * REPEATS)
        start = time.perf_counter()
        analyze_performance(clip, FPS, transcript=text, mode="auto")
        aligned = time.perf_counter() - start
        print(f"analysis {seconds:.0f} s clip (with transcript, forced alignment): {aligned:.1f} s "
              f"({TARGET / aligned:.1f}x faster than the {TARGET:.0f} s target)")

        project = Project(audio=str(clip), duration=seconds, fps=FPS)
        project.tracks.visemes = visemes
        project.tracks.style = [StyleKey(t=0.0, head_motion=1.5)]
        start = time.perf_counter()
        build_controls(project, performance)
        edit = time.perf_counter() - start
        print(f"style edit on the {seconds:.0f} s clip (re-derive controls only): {edit:.2f} s "
              f"({analysis / edit:.0f}x cheaper than re-analysing)")


if __name__ == "__main__":
    main()
