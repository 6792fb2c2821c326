"""Project + Performance -> one ControlFrame per output frame.

Every track is sampled for the whole clip at once into per-frame arrays (a 5-minute clip is 7500
frames; building them is vectorised, so an edit re-conditions the clip in milliseconds). The
renderer takes ControlFrames one at a time from the sequence.

How tracks combine:
- rotation = pose curve + style.head_motion x automatic head motion (the artist's keys always
  apply; head_motion 0 leaves the curves alone); translation = head_motion x automatic sway;
- expression = emotion preset + style.lip_amplitude x mouth + style.expressiveness x automatic
  brow/cheek activity + blinks, added and clipped to 0..1;
- gaze = the gaze keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from studio.analysis.performance import Performance
from studio.conditioning.blinks import eye_blink
from studio.conditioning.control_frame import BLENDSHAPE_INDEX, BLENDSHAPES, ControlFrame
from studio.conditioning.emotion import emotion_coefficients
from studio.conditioning.mouth import mouth_coefficients
from studio.conditioning.timing import at_times
from studio.doc.curves import sample_curve, sample_records
from studio.doc.project import STYLE_FIELDS, Project

SCALARS: tuple[str, ...] = ("yaw", "pitch", "roll", "tx", "ty", "scale", "gaze_yaw", "gaze_pitch")


@dataclass(frozen=True, eq=False)
class ControlSequence:
    """Per-frame control arrays for a whole clip; `frame(i)` is the renderer's view of frame i.

    `t` and the SCALARS are (N,) float64; `expression` is (N, len(BLENDSHAPES)) float32 in
    BLENDSHAPES order.
    """

    fps: float
    t: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    tx: np.ndarray
    ty: np.ndarray
    scale: np.ndarray
    gaze_yaw: np.ndarray
    gaze_pitch: np.ndarray
    expression: np.ndarray

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def __iter__(self) -> Iterator[ControlFrame]:
        return (self.frame(i) for i in range(len(self)))

    def coefficient(self, name: str) -> np.ndarray:
        """One blendshape's curve over the clip (for plots and tests)."""
        return self.expression[:, BLENDSHAPE_INDEX[name]]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every signal by name: "t", the SCALARS and "expression"."""
        return {"t": self.t, **{name: getattr(self, name) for name in SCALARS},
                "expression": self.expression}

    def frame(self, index: int) -> ControlFrame:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"frame {index} is outside the clip's {n} frames")
        index %= n
        row = self.expression[index]
        active = np.flatnonzero(row)
        return ControlFrame(
            index=index,
            t=float(self.t[index]),
            **{name: float(getattr(self, name)[index]) for name in SCALARS},
            expression={BLENDSHAPES[j]: float(row[j]) for j in active},
        )


def build_controls(project: Project, performance: Performance | None = None) -> ControlSequence:
    """The clip's controls: project.frame_count() frames at project.fps."""
    # 1. frame times and speaking style
    n = project.frame_count()
    times = np.arange(n, dtype=np.float64) / project.fps
    style = sample_records(project.tracks.style, STYLE_FIELDS, times,
                           {name: 1.0 for name in STYLE_FIELDS})
    tracks = project.tracks

    # 2. pose: the artist's curves plus automatic motion scaled by head_motion
    pose = {name: sample_curve(tracks.pose_curve(f"head_{name}"), times)
            for name in ("yaw", "pitch", "roll")}
    tx = np.zeros(n)
    ty = np.zeros(n)
    if performance is not None and performance.head is not None:
        head = at_times(performance.head, performance.fps, times) * style["head_motion"][:, None]
        for j, name in enumerate(("yaw", "pitch", "roll")):
            pose[name] += head[:, j]
        tx, ty = head[:, 3], head[:, 4]

    # 3. expression: emotion + mouth + voice-driven brows and cheeks + blinks
    expression = emotion_coefficients(tracks.emotion, times)
    for name, values in mouth_coefficients(project, performance, times).items():
        expression[:, BLENDSHAPE_INDEX[name]] += style["lip_amplitude"] * values
    if performance is not None:
        for name, values in performance.expressive.items():
            expression[:, BLENDSHAPE_INDEX[name]] += (
                style["expressiveness"] * at_times(values, performance.fps, times))
    blink = eye_blink(project, performance, times)
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        expression[:, BLENDSHAPE_INDEX[name]] += blink

    # 4. gaze
    gaze = sample_records(tracks.gaze, ("yaw", "pitch"), times, {"yaw": 0.0, "pitch": 0.0})

    return ControlSequence(
        fps=float(project.fps), t=times,
        yaw=pose["yaw"], pitch=pose["pitch"], roll=pose["roll"],
        tx=tx, ty=ty, scale=np.ones(n),
        gaze_yaw=gaze["yaw"], gaze_pitch=gaze["pitch"],
        expression=np.clip(expression, 0.0, 1.0).astype(np.float32),
    )
