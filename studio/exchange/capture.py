"""A Live Link Face take as timeline tracks (docs/exchange.md, "Importing a capture").

What the registry's tracks can hold comes in; the rest is reported as dropped:
- HeadYaw/Pitch/Roll -> the head pose curves (degrees), keys thinned to POSE_TOLERANCE;
- the eyes' yaw and pitch (or, when those are all 0, the eyeLook* coefficients) -> gaze keys;
- browDown*/browOuterUp* -> eyebrow keys (lift and offset, as the renderer reads them back);
- eyeBlinkLeft/Right -> the artist's blinks, one per closure;
- the mouth, cheek, nose, squint and wide-eye coefficients and tongueOut have no track: the
  mouth stays with the voice's lip sync (the viseme track).

The capture replaces what it would double: the style's head_motion and expressiveness go to 0
(automatic head motion and voice-driven brows), automatic blinks are removed and the blink rate
set to 0. Keys are linear, so the thinned curve is the one checked against the tolerance.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from studio.doc.project import Blink, BrowKey, Curve, GazeKey, Key, Project, StyleKey
from studio.exchange.livelink import ARKIT, LiveLinkTake, gaze_from_look
from studio.exchange.thinning import thin

POSE_TOLERANCE = 0.25  # degrees
GAZE_TOLERANCE = 0.5  # degrees
BROW_TOLERANCE = 0.02
BLINK_SHUT = 0.5  # eyeBlink above which the eyes count as closing
BLINK_WIDTH = 0.6  # share of a blink's duration the studio's lids spend above BLINK_SHUT
MAX_TIME = 86400.0
ALIGNED = ("head_yaw", "head_pitch", "head_roll", "gaze", "brows")
DROPPED = tuple(n for n in ARKIT if not n.startswith(("eyeBlink", "eyeLook", "brow")))


@dataclass
class Captured:
    """Tracks to replace (name -> items, or a Curve for curves) and what was left out."""

    tracks: dict[str, object] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    span: tuple[float, float] = (0.0, 0.0)

    def summary(self) -> str:
        parts = [f"{len(v.keys) if isinstance(v, Curve) else len(v)} {k}"
                 for k, v in self.tracks.items() if k not in ("style", "blink_rate")]
        return ", ".join(parts)


def _r(v: float) -> float:
    return round(float(v), 6)


def _curve_keys(times, values, tolerance, lo, hi) -> list[Key]:
    values = np.clip(values, lo, hi)
    return [Key(_r(times[i]), _r(values[i]), "linear") for i in thin(times, values, tolerance)]


def detect_blinks(times: np.ndarray, closure: np.ndarray, fps: float) -> list[Blink]:
    """One blink per run of frames above BLINK_SHUT: at its most closed frame (the middle of a
    plateau), lasting the run's width / BLINK_WIDTH."""
    shut = closure >= BLINK_SHUT
    edges = np.diff(np.concatenate([[0], shut.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    blinks = []
    for a, b in zip(starts, stops):
        run = closure[a:b]
        top = np.flatnonzero(run >= run.max() - 1e-6)
        centre = a + top[len(top) // 2]
        width = times[b - 1] - times[a] + 1.0 / fps
        duration = float(np.clip(width / BLINK_WIDTH, 0.08, 2.0))
        blinks.append(Blink(_r(times[centre]), round(duration, 3)))
    return blinks


def captured_tracks(take: LiveLinkTake, project: Project, offset: float = 0.0,
                    origin: float | None = None) -> Captured:
    """The take's tracks, its time `origin` (seconds of timecode; None: its first row) at
    `offset` seconds of the project's audio; rows that land before 0 or after the clip's end
    are left out. The artist's keys and blinks outside the take's span stay."""
    t = take.times - (take.start if origin is None else origin) + offset
    end = project.duration if project.duration > 0 else MAX_TIME
    inside = (t >= 0) & (t <= end)
    if not inside.any():
        raise ValueError("the take lies wholly outside the clip (0 to "
                         f"{end:.2f} s); change the offset")
    t = t[inside]
    v = {k: a[inside] for k, a in take.values.items()}
    out = Captured(span=(float(t[0]), float(t[-1])))
    _take_tracks(take, project, t, v, out)
    _keep_outside(project, out)
    return out


def _keep_outside(project: Project, out: Captured) -> None:
    """Each replaced track keeps the project's keys (and blinks) before and after the take."""
    a, b = out.span

    def outside(items):
        return [item for item in items if item.t < a - 1e-6 or item.t > b + 1e-6]

    for name, new in out.tracks.items():
        if name in ("style", "blink_rate"):
            continue
        old = getattr(project.tracks, name)
        if isinstance(new, Curve):
            new.keys = sorted(outside(old.keys) + new.keys, key=lambda k: k.t)
        else:
            out.tracks[name] = sorted(outside(old) + new, key=lambda item: item.t)


def _take_tracks(take: LiveLinkTake, project: Project, t: np.ndarray,
                 v: dict[str, np.ndarray], out: Captured) -> None:
    for track, column in (("head_yaw", "HeadYaw"), ("head_pitch", "HeadPitch"),
                          ("head_roll", "HeadRoll")):
        if column in v:
            old: Curve = getattr(project.tracks, track)
            out.tracks[track] = Curve(_curve_keys(t, np.degrees(v[column]), POSE_TOLERANCE,
                                                  -90, 90), old.default)
    gaze = _gaze(v)
    if gaze is not None:
        values = np.clip(np.stack(gaze, 1), -45, 45)
        out.tracks["gaze"] = [GazeKey(_r(t[i]), _r(values[i, 0]), _r(values[i, 1]), "linear")
                              for i in thin(t, values, GAZE_TOLERANCE)]
    if all(f"brow{p}{s}" in v for p in ("Down", "OuterUp") for s in ("Left", "Right")):
        left = v["browOuterUpLeft"] - v["browDownLeft"]
        right = v["browOuterUpRight"] - v["browDownRight"]
        brows = np.clip(np.stack([(left + right) / 2, left - right], 1), -1, 1)
        out.tracks["brows"] = [BrowKey(_r(t[i]), _r(brows[i, 0]), _r(brows[i, 1]), "linear")
                               for i in thin(t, brows, BROW_TOLERANCE)]
    if "eyeBlinkLeft" in v and "eyeBlinkRight" in v:
        closure = (v["eyeBlinkLeft"] + v["eyeBlinkRight"]) / 2
        out.tracks["blinks"] = detect_blinks(t, closure, take.fps)
        out.tracks["blink_rate"] = Curve([], 0.0)
    out.tracks["style"] = _quiet_style(project, replace_motion=any(
        k in out.tracks for k in ("head_yaw", "head_pitch", "head_roll")),
        replace_brows="brows" in out.tracks)
    out.dropped = [n for n in DROPPED if n in v and np.any(v[n] != 0)]


def _gaze(v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    eyes = ("LeftEyeYaw", "LeftEyePitch", "RightEyeYaw", "RightEyePitch")
    if all(e in v for e in eyes) and any(np.any(v[e] != 0) for e in eyes):
        return (np.degrees((v["LeftEyeYaw"] + v["RightEyeYaw"]) / 2),
                np.degrees((v["LeftEyePitch"] + v["RightEyePitch"]) / 2))
    look = [n for n in ARKIT if n.startswith("eyeLook")]
    if all(n in v for n in look):
        return gaze_from_look(v)
    return None


def _quiet_style(project: Project, replace_motion: bool, replace_brows: bool) -> list[StyleKey]:
    keys = copy.deepcopy(project.tracks.style) or [StyleKey(0.0)]
    for key in keys:
        if replace_motion:
            key.head_motion = 0.0
        if replace_brows:
            key.expressiveness = 0.0
    return keys

