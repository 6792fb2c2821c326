"""`studio render` end to end (imports, analysis, rendering, encoding) against issue 12's targets.

Each render is a fresh `studio render` process with an empty analysis cache (STUDIO_CACHE_DIR),
so the portrait is new to it, and a voice clip without a transcript beside it (the sample's
speech.txt would make the lip sync exact and skip the phone recognition). Prints one line per
target, as a ratio to it (above 1 meets it):
- a 20-second clip at 512x512, 25 fps must render at least 6x faster than real time (the best
  of --runs runs: the machine is shared, and the best run is the one least disturbed);
- a 5-minute clip must peak under 600 MB of memory (the render process's peak RSS).
Run: .venv/bin/python bench/bench_render.py [--runs 3] [--portrait FILE] [--skip-memory]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.analysis.audio import ffmpeg_exe  # noqa: E402
from studio.resources import SAMPLE_SPEECH  # noqa: E402

SPEED_TARGET = 6.0  # x real time
MEMORY_LIMIT_MB = 600
SECONDS = 20


def looped_speech(seconds: float, folder: Path) -> Path:
    """The sample voice clip repeated to `seconds`, in a folder with no transcript."""
    out = folder / f"voice_{int(seconds)}s.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-stream_loop", "-1",
                    "-i", str(SAMPLE_SPEECH), "-t", str(seconds), str(out)], check=True)
    assert not out.with_suffix(".txt").exists()
    return out


def render(portrait: Path, audio: Path, folder: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one `studio render` in a fresh process, uncached."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=folder))
    fresh = folder / f"{cache.name}{portrait.suffix}"  # a copy under a new name, never seen
    shutil.copyfile(portrait, fresh)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STUDIO_CACHE_DIR": str(cache),
           "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", str(folder))}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "studio.cli", "render", str(fresh), str(audio),
                              "-o", str(folder / "out.mp4"), "--quiet"], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"studio render failed with exit status {child.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="renders of the 20 s clip (best counts)")
    parser.add_argument("--portrait", type=Path, default=ROOT / "bench" / "portraits" / "obama.jpg")
    parser.add_argument("--skip-memory", action="store_true", help="skip the 5-minute clip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        voice = looped_speech(SECONDS, folder)
        times = [render(args.portrait, voice, folder)[0] for _ in range(args.runs)]
        best = min(times)
        print(f"studio render {SECONDS} s clip 512x512 25 fps, new portrait, no transcript: "
              f"best {best:.2f} s of {', '.join(f'{t:.2f}' for t in times)} = "
              f"{SECONDS / best:.1f}x real time ({SECONDS / best / SPEED_TARGET:.2f}x the "
              f"{SPEED_TARGET:g}x target)")
        if args.skip_memory:
            return
        seconds, peak_mb = render(args.portrait, looped_speech(300, folder), folder)
        print(f"studio render 5 min clip: peak memory {peak_mb:.0f} MB "
              f"({MEMORY_LIMIT_MB / peak_mb:.2f}x under the {MEMORY_LIMIT_MB} MB limit), "
              f"{seconds:.1f} s = {300 / seconds:.1f}x real time")


if __name__ == "__main__":
    main()
