"""`studio render` end to end (analysis, rendering, encoding) against the issue's targets.

Prints one line per target, each a ratio measured in this run:
- a 20-second clip at 512x512, 25 fps must render at least 3x faster than real time;
- a 5-minute clip must peak under 1.5 GB of memory (the render process's peak RSS).
Run: .venv/bin/python bench/bench_render.py [--skip-memory]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studio.resources import SAMPLE_PORTRAIT as PORTRAIT  # noqa: E402
from studio.resources import SAMPLE_SPEECH as SPEECH  # noqa: E402


def looped_speech(seconds: float, folder: Path) -> Path:
    """The sample voice clip repeated to `seconds`, made with the bundled ffmpeg."""
    import imageio_ffmpeg

    out = folder / f"speech_{int(seconds)}s.wav"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-stream_loop", "-1",
                    "-i", str(SPEECH), "-t", str(seconds), str(out)], check=True)
    return out


def render(audio: Path, out: Path, cache: Path) -> float:
    """Wall seconds of one `studio render` in a fresh process (imports and analysis included)."""
    env = {"STUDIO_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio.cli", "render", str(PORTRAIT), str(audio),
                    "-o", str(out), "--quiet"], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-memory", action="store_true", help="skip the 5-minute clip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip20 = looped_speech(20, folder)
        cold = render(clip20, folder / "cold.mp4", folder / "cache")  # analysis cache empty
        warm = render(clip20, folder / "warm.mp4", folder / "cache")  # portrait cached
        print(f"studio render 20 s clip 512x512 25 fps, uncached portrait: {cold:.2f} s = "
              f"{20 / cold:.1f}x real time ({20 / cold / 3:.2f}x the 3x target)")
        print(f"studio render 20 s clip 512x512 25 fps, cached portrait:   {warm:.2f} s = "
              f"{20 / warm:.1f}x real time ({20 / warm / 3:.2f}x the 3x target)")
        if args.skip_memory:
            return
        clip300 = looped_speech(300, folder)
        seconds = render(clip300, folder / "long.mp4", folder / "cache")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"studio render 5 min clip: peak memory {peak_mb:.0f} MB "
              f"({1536 / peak_mb:.2f}x under the 1.5 GB limit), {seconds:.1f} s = "
              f"{300 / seconds:.1f}x real time")


if __name__ == "__main__":
    main()
