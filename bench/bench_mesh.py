"""Mesh renderer speed at 512 x 512 on one core, against the 150 frames/s target (issue 11 §3;
issue 2 §8 asked for 100).

Renders a varied talking-head sequence (head turns, jaw, blinks, smiles, gaze) so that every
per-frame path runs, after one warm-up frame. Run: .venv/bin/python bench/bench_mesh.py
"""

from __future__ import annotations

import os

# One core: pin every thread pool before numpy, scipy and OpenCV start theirs.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import sys  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from studio.analysis.portrait import analyze_portrait  # noqa: E402
from studio.conditioning.control_frame import ControlFrame  # noqa: E402
from studio.render.mesh import MeshRenderer  # noqa: E402
from studio.resources import SAMPLE_PORTRAIT  # noqa: E402

TARGET_FPS = 150.0
FRAMES = 250
SIZE = 512


def frames(count: int) -> list[ControlFrame]:
    out = []
    for i in range(count):
        t = i / 25.0
        blink = max(0.0, 1.0 - abs((i % 60) - 30) / 4.0)
        out.append(ControlFrame(
            index=i, t=t,
            yaw=15 * np.sin(0.7 * t), pitch=8 * np.sin(1.1 * t), roll=6 * np.sin(0.5 * t),
            tx=0.03 * np.sin(0.3 * t), scale=1.0 + 0.02 * np.sin(0.4 * t),
            gaze_yaw=10 * np.sin(0.9 * t),
            expression={
                "jawOpen": 0.5 + 0.5 * np.sin(7.0 * t), "mouthSmileLeft": 0.4, "mouthSmileRight": 0.4,
                "eyeBlinkLeft": blink, "eyeBlinkRight": blink, "browInnerUp": 0.3 * (1 + np.sin(t)),
            },
        ))
    return out


def main() -> None:
    cv2.setNumThreads(1)
    portrait = SAMPLE_PORTRAIT
    rig = analyze_portrait(portrait)
    renderer = MeshRenderer()
    start = time.perf_counter()
    renderer.prepare(rig, SIZE, SIZE)
    prepare_s = time.perf_counter() - start
    sequence = frames(FRAMES)
    renderer.render(sequence[0])
    start = time.perf_counter()
    for frame in sequence:
        renderer.render(frame)
    fps = FRAMES / (time.perf_counter() - start)
    print(f"mesh {SIZE}x{SIZE} one core: {fps:.0f} fps ({fps / TARGET_FPS:.2f}x the {TARGET_FPS:.0f} fps target)")
    print(f"mesh {SIZE}x{SIZE} prepare: {prepare_s:.2f} s per portrait")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
