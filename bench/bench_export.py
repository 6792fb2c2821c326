"""Export speed: how much of the end-to-end budget encoding takes.

`studio render` must run at least 3x faster than real time for a 20 s, 25 fps, 512x512 clip on
2 cores, so encoding must be a small share of that. Frames are prepared before timing (the
renderer's cost is measured elsewhere); each line is a ratio measured in this run.
Run: .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from studio.analysis.audio import load_audio, loudness_envelope
from studio.export import export_clip
from studio.resources import SAMPLE_PORTRAIT, SAMPLE_SPEECH

PORTRAIT = SAMPLE_PORTRAIT
SPEECH = SAMPLE_SPEECH
FPS = 25
SECONDS = 20
REAL_TIME_TARGET = 3.0


def talking_frames(portrait: np.ndarray, count: int, alpha: bool) -> list[np.ndarray]:
    """Frames that change like a talking head: the lower face moves, the rest stays put."""
    frames = []
    for index in range(count):
        frame = portrait.copy()
        shift = int(round(4 * np.sin(index / 3)))
        frame[280:420, 160:360] = np.roll(portrait[280:420, 160:360], shift, axis=0)
        if alpha:
            mask = np.zeros(frame.shape[:2], np.uint8)
            mask[40:, 60:-60] = 255
            frame = np.dstack([frame, mask])
        frames.append(frame)
    return frames


def timed_export(frames: list[np.ndarray], out: Path, **options) -> tuple[float, float]:
    """Wall seconds and encoder CPU seconds (ffmpeg is a child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    export_clip(iter(frames), out, fps=FPS, frame_count=len(frames), **options)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    portrait = np.asarray(Image.open(PORTRAIT).convert("RGB"))
    count = SECONDS * FPS
    opaque = talking_frames(portrait, count, alpha=False)
    budget = SECONDS / REAL_TIME_TARGET  # wall seconds the whole render may take
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        start = time.perf_counter()
        clip = load_audio(SPEECH)
        loudness_envelope(clip, FPS)
        audio_seconds = time.perf_counter() - start
        print(
            f"audio decode + loudness of {clip.duration:.1f} s speech: {audio_seconds:.3f} s = "
            f"{clip.duration / audio_seconds:.0f}x faster than real time"
        )
        for label, name, frames, options in (
            ("mp4 (H.264 veryfast crf 18 + AAC)", "clip.mp4", opaque, {"audio_path": SPEECH}),
            ("mov (ProRes 4444 + alpha)", "clip.mov", None, {"audio_path": SPEECH}),
            ("png sequence", "frames", opaque, {}),
        ):
            if frames is None:
                frames = talking_frames(portrait, count, alpha=True)
            wall, cpu = timed_export(frames, out / name, **options)
            line = (
                f"export {label} 512x512, {count} frames: {count / wall:.0f} frames/s wall, "
                f"{count / cpu:.0f} frames per encoder CPU-second, "
                f"{SECONDS / wall:.1f}x faster than real time"
            )
            if name.endswith(".mp4"):  # the default output, the one the 3x target is about
                line += f"; {100 * wall / budget:.0f}% of the {budget:.1f} s end-to-end budget"
            print(line)


if __name__ == "__main__":
    main()
