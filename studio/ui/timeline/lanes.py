"""Lane layout of the timeline: which track lives in which horizontal band, and its value range.

The lanes after the audio's are the track registry's (studio/doc/tracks.py: LANES, and each
track's `lane`).

All lanes share one pyqtgraph ViewBox (x = seconds, y grows downward), so one playhead, one
zoom and one rubber band span every track. A value v of a lane maps into its band linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.doc.tracks import LANES, TRACKS, spec
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
    specs = [Lane("waveform", "Audio", 0.7, -1.0, 1.0)]
    specs += [Lane(lane.name, lane.label, lane.height, lane.lo, lane.hi) for lane in LANES]
    lanes, top = [], 0.0
    for lane in specs:
        lanes.append(Lane(lane.name, lane.label, lane.height, lane.lo, lane.hi, top))
        top += lane.height + 0.08
    return lanes


def lane_of_track(track: str) -> str:
    return spec(track).lane


# The curves of each lane a click or K can key, as (track, field): events and segments have none.
LANE_TRACKS: dict[str, tuple[tuple[str, str], ...]] = {
    lane.name: tuple((s.name, name) for s in TRACKS if s.lane == lane.name
                     and s.kind in ("curve", "keys") for name in s.plotted)
    for lane in LANES
}
LANE_TRACKS = {name: pairs for name, pairs in LANE_TRACKS.items() if pairs}


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
