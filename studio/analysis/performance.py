"""Performance: the automatic signals that audio analysis derives, sampled per output frame.

These are the raw material of the automatic tracks. Conditioning combines them with what the
artist keyed (the artist's keys always win) to make ControlFrames. Every array has one row per
output frame at `fps`; a field left None means that analysis has not run or does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Performance:
    fps: float
    loudness: np.ndarray  # (N,) float32 in 0..1: speech loudness, 0 in silence
    # (N, 5) float32 automatic head motion at style.head_motion == 1:
    # yaw, pitch, roll in degrees, tx, ty in face widths. Added on top of the pose curves.
    head: np.ndarray | None = None
    # ARKit name -> (N,) float32 brow/cheek activity with the voice at style.expressiveness == 1.
    expressive: dict[str, np.ndarray] = field(default_factory=dict)
    # (N,) float32 in 0..1: how much each frame is a pause or phrase end, where blinks cluster.
    pause: np.ndarray | None = None

    @property
    def frame_count(self) -> int:
        return int(self.loudness.shape[0])
