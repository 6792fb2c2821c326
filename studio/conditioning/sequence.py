"""Project + Performance -> one ControlFrame per output frame.

Every track is sampled for the whole clip at once into per-frame arrays (a 5-minute clip is 7500
frames; building them is vectorised, so an edit re-conditions the clip in milliseconds). The
renderer takes ControlFrames one at a time from the sequence.

How tracks combine:
- rotation = pose curve + style.head_motion x automatic head motion (the artist's keys always
  apply; head_motion 0 leaves the curves alone); translation = head_motion x automatic sway;
- expression = emotion preset + style.lip_amplitude x mouth + style.expressiveness x automatic
  brow/cheek activity + the eyebrow keys (brow_coefficients) + blinks, added and clipped to 0..1;
- gaze = the gaze keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from studio.analysis.performance import Performance
from studio.conditioning.blinks import eye_blink
from studio.conditioning.control_frame import BLENDSHAPE_INDEX, BLENDSHAPES, ControlFrame
from studio.conditioning.emotion import emotion_coefficients
from studio.conditioning.mouth import mouth_coefficients
from studio.conditioning.timing import at_times
from studio.doc.project import Project
from studio.doc.tracks import sample_track

SCALARS: tuple[str, ...] = ("yaw", "pitch", "roll", "tx", "ty", "scale", "gaze_yaw", "gaze_pitch")


def _round6(values: np.ndarray) -> np.ndarray:
    """Python's round(v, 6) over an array.

    np.round scales by 1e6 before rounding, and the scaled product is itself rounded, so a value
    whose scaled form lies within a rounding error of a half decides differently from Python's
    exact decimal rounding; those few go through round() itself.
    """
    scaled = values * 1e6
    rounded = np.rint(scaled) / 1e6
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-9 + np.abs(scaled) * 1e-15
    for at in zip(*np.nonzero(near_half)):
        rounded[at] = round(float(values[at]), 6)
    return rounded


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

    def signal_keys(self, indices: Iterable[int] | None = None) -> list[str]:
        """`frame(i).signal_key()` for each index (all frames by default), without building the
        frames: a preview compares the keys of every cached frame after each edit.

        The values are packed in ControlFrame.signal_key()'s order and rounded as Python's
        round(v, 6) rounds them, so the keys are equal string for string.
        """
        n = len(self)
        rows = np.arange(n) if indices is None else np.asarray(list(indices), dtype=np.int64)
        if rows.size and not (-n <= rows.min() and rows.max() < n):
            raise IndexError(f"a frame index is outside the clip's {n} frames")
        rows %= max(n, 1)
        values = np.empty((rows.size, len(SCALARS) + len(BLENDSHAPES)), dtype=np.float64)
        for j, name in enumerate(SCALARS):  # the order ControlFrame.signal_key() packs them in
            values[:, j] = getattr(self, name)[rows]
        expression = self.expression[rows].astype(np.float64)
        # a frame stores only non-zero coefficients and reads the others as +0.0
        values[:, len(SCALARS):] = np.where(expression == 0.0, 0.0, expression)
        packed = _round6(values).astype("<f8")
        return [hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in packed]


def brow_coefficients(brows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The eyebrow track's lift and offset as ARKit coefficients, to add to the others.

    Each brow gets lift +- offset / 2 (the viewer's right brow is the face's left, ARKit's
    "Left"): raised, its outer part goes up and the inner part with it (browInnerUp is shared, the
    mean of both raises); lowered, browDown. Lift 0 and offset 0 add nothing."""
    lift, offset = brows["lift"], brows["offset"]
    side = {"Left": np.clip(lift + offset / 2, -1.0, 1.0),
            "Right": np.clip(lift - offset / 2, -1.0, 1.0)}
    out = {f"browOuterUp{s}": np.maximum(v, 0.0) for s, v in side.items()}
    out.update({f"browDown{s}": np.maximum(-v, 0.0) for s, v in side.items()})
    out["browInnerUp"] = (out["browOuterUpLeft"] + out["browOuterUpRight"]) / 2
    return out


def build_controls(project: Project, performance: Performance | None = None) -> ControlSequence:
    """The clip's controls: project.frame_count() frames at project.fps."""
    # 1. frame times and speaking style
    n = project.frame_count()
    times = np.arange(n, dtype=np.float64) / project.fps
    tracks = project.tracks
    style = sample_track(tracks, "style", times)

    # 2. pose: the artist's curves plus automatic motion scaled by head_motion
    pose = {name: sample_track(tracks, f"head_{name}", times)["v"]
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
    for name, values in brow_coefficients(sample_track(tracks, "brows", times)).items():
        expression[:, BLENDSHAPE_INDEX[name]] += values
    blink = eye_blink(project, performance, times)
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        expression[:, BLENDSHAPE_INDEX[name]] += blink

    # 4. gaze
    gaze = sample_track(tracks, "gaze", times)

    return ControlSequence(
        fps=float(project.fps), t=times,
        yaw=pose["yaw"], pitch=pose["pitch"], roll=pose["roll"],
        tx=tx, ty=ty, scale=np.ones(n),
        gaze_yaw=gaze["yaw"], gaze_pitch=gaze["pitch"],
        expression=np.clip(expression, 0.0, 1.0).astype(np.float32),
    )
