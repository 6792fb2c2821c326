"""Lane layout of the timeline: which track lives in which horizontal band, and its value range.

All lanes share one pyqtgraph ViewBox (x = seconds, y grows downward), so one playhead, one
zoom and one rubber band span every track. A value v of a lane maps into its band linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.doc.project import POSE_TRACKS, STYLE_FIELDS
from studio.render.mesh import BELIEVABLE_POSE

_PAD = 0.1


@dataclass(frozen=True)
class Lane:
    name: str
    label: str
    height: float
    lo: float = 0.0
    hi: float = 1.0
    top: float = 0.0

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def centre(self) -> float:
        return self.top + self.height / 2

    def y_of(self, v: float) -> float:
        span = self.height * (1 - 2 * _PAD)
        u = (min(max(v, self.lo), self.hi) - self.lo) / (self.hi - self.lo)
        return self.bottom - self.height * _PAD - u * span

    def ys_of(self, values) -> np.ndarray:
        """y_of for a whole sampled curve at once (a drag redraws one every mouse move)."""
        span = self.height * (1 - 2 * _PAD)
        u = (np.clip(np.asarray(values, dtype=float), self.lo, self.hi) - self.lo) / (
            self.hi - self.lo)
        return self.bottom - self.height * _PAD - u * span

    def v_per_y(self) -> float:
        """Value change for a downward move of one y unit (negative: down lowers the value)."""
        return -(self.hi - self.lo) / (self.height * (1 - 2 * _PAD))

    def v_of(self, y: float) -> float:
        return self.clamp(self.lo + self.v_per_y() * (y - self.y_of(self.lo)))

    def clamp(self, v: float) -> float:
        return min(max(v, self.lo), self.hi)

    def contains(self, y: float) -> bool:
        return self.top <= y < self.bottom


def build_lanes() -> list[Lane]:
    specs = [
        Lane("waveform", "Audio", 0.7, -1.0, 1.0),
        Lane("visemes", "Visemes", 0.5),
        Lane("pose", "Head pose °", 1.8, -30.0, 30.0),
        Lane("gaze", "Gaze °", 0.9, -30.0, 30.0),
        Lane("blinks", "Blinks /min", 0.9, 0.0, 60.0),
        Lane("emotion", "Emotion", 0.9, 0.0, 1.0),
        Lane("style", "Style", 1.0, 0.0, 2.0),  # its header: a name and three legend entries
    ]
    lanes, top = [], 0.0
    for spec in specs:
        lanes.append(Lane(spec.name, spec.label, spec.height, spec.lo, spec.hi, top))
        top += spec.height + 0.08
    return lanes


def lane_of_track(track: str) -> str:
    if track in POSE_TRACKS:
        return "pose"
    if track in ("blink_rate", "blinks"):
        return "blinks"
    if track in ("emotion", "style", "gaze"):
        return track
    raise KeyError(track)


LANE_TRACKS: dict[str, tuple[tuple[str, str], ...]] = {
    "pose": tuple((name, "v") for name in POSE_TRACKS),
    "blinks": (("blink_rate", "v"),),
    "emotion": (("emotion", "intensity"),),
    "style": tuple(("style", name) for name in STYLE_FIELDS),
    "gaze": (("gaze", "yaw"), ("gaze", "pitch")),
}


def believable(track: str, v: float) -> bool:
    """Whether a pose key's value is within the renderer's believable range (always True for
    tracks that have none): keys beyond it are allowed, and marked."""
    limit = BELIEVABLE_POSE.get(track)
    return limit is None or abs(v) <= limit


def pose_bands(lane: Lane) -> list[tuple[float, float, tuple[str, ...]]]:
    """The believable range on the pose lane: (y top, y bottom, the tracks believable across
    it) per distinct limit, widest first, so narrower bands draw over wider ones."""
    limits = sorted(set(BELIEVABLE_POSE.values()), reverse=True)
    return [
        (lane.y_of(limit), lane.y_of(-limit),
         tuple(t for t, own in BELIEVABLE_POSE.items() if own >= limit))
        for limit in limits
    ]
