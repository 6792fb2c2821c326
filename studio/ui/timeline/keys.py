"""Which timeline points are editable keys, and how a gesture changes them in a Project.

The timeline shows keys of several kinds (scalar curve keys, blink events, emotion keys, style
keys with three fields). A KeyRef names one editable value of one key, so every gesture can be
described as plain data and applied to a copy of the project for a live preview, then once more
for real inside an undo command.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from studio.doc.curves import sample_curve
from studio.doc.project import INTERPOLATIONS, Key, Project
from studio.doc.tracks import KEYED_TRACKS, TRACK, TRACKS, sample_track, spec

CURVE_TRACKS: tuple[str, ...] = tuple(s.name for s in TRACKS if s.kind == "curve")
# Keyed-record tracks whose keys hold several values, each drawn as its own curve.
MULTI_FIELDS: dict[str, tuple[str, ...]] = {
    s.name: s.plotted for s in TRACKS if s.kind == "keys" and s.interpolated}
# (track, field) pairs a key can be added to; field "v" for scalar curves, "t" for events.
EDITABLE: tuple[tuple[str, str], ...] = tuple(
    (s.name, name) for s in TRACKS if s.keyed for name in s.plotted)


@dataclass(frozen=True)
class KeyRef:
    """One editable point: key number `index` of `track`, showing `field` on the value axis."""

    track: str
    index: int
    field: str = "v"


@dataclass(frozen=True)
class KeyMove:
    ref: KeyRef
    t: float
    v: float


def key_list(project: Project, track: str) -> list:
    if track not in KEYED_TRACKS:
        raise KeyError(track)
    return TRACK[track].items(project.tracks)


def key_refs(project: Project) -> list[KeyRef]:
    """Every editable point, in lane order."""
    return [KeyRef(s.name, i, name) for s in TRACKS if s.keyed
            for i in range(len(s.items(project.tracks))) for name in s.plotted]


def record_values(project: Project, track: str, times: np.ndarray) -> dict[str, np.ndarray]:
    """Each value of a keyed track (style, gaze, ...) at `times`."""
    return sample_track(project.tracks, track, times)


def key_time(project: Project, ref: KeyRef) -> float:
    return float(key_list(project, ref.track)[ref.index].t)


def key_value(project: Project, ref: KeyRef) -> float:
    """The value drawn on the lane (blinks have none: they sit on the lane's centre line)."""
    key = key_list(project, ref.track)[ref.index]
    if TRACK[ref.track].kind == "events":
        return 0.0
    return float(getattr(key, ref.field))


def key_interp(project: Project, ref: KeyRef) -> str | None:
    return getattr(key_list(project, ref.track)[ref.index], "interp", None)


def snap_time(t: float, fps: int, frame_count: int) -> float:
    """Keys sit on frames: the nearest frame time inside the clip."""
    frame = min(max(round(t * fps), 0), max(frame_count - 1, 0))
    return frame / fps


def apply_moves(project: Project, moves: list[KeyMove]) -> list[KeyRef]:
    """Move keys in place, keep each track sorted, and return where the moved keys ended up."""
    moved: list[tuple[object, KeyRef]] = []
    for move in moves:
        key = key_list(project, move.ref.track)[move.ref.index]
        key.t = float(move.t)
        track = TRACK[move.ref.track]
        for name, value in track.on_edit.items():
            setattr(key, name, value)  # a moved automatic blink is the artist's from now on
        if track.kind != "events":
            setattr(key, move.ref.field, float(move.v))
        moved.append((key, move.ref))
    for track in {m.ref.track for m in moves}:
        key_list(project, track).sort(key=lambda k: k.t)
    return [
        KeyRef(ref.track, _index_of(key_list(project, ref.track), key), ref.field)
        for key, ref in moved
    ]


def moved_copy(project: Project, moves: list[KeyMove]) -> tuple[Project, list[KeyRef]]:
    """The project with `moves` applied, for a live preview; the project is left alone.

    Only the moved tracks are copied, the others are shared: a drag previews every mouse move,
    and copying every track (hundreds of viseme segments) each time would slow it down.
    """
    preview = copy.copy(project)
    preview.tracks = copy.copy(project.tracks)
    for track in tracks_of(moves):
        setattr(preview.tracks, track, copy.deepcopy(getattr(project.tracks, track)))
    return preview, apply_moves(preview, moves)


def add_key(project: Project, track: str, field: str, t: float, v: float | None = None) -> KeyRef:
    """Add a key at t; with v None it takes the track's current value there, so nothing jumps."""
    keys = key_list(project, track)
    track_spec = spec(track)
    if track_spec.kind == "curve":
        curve = getattr(project.tracks, track)
        value = float(sample_curve(curve, np.array([t]))[0]) if v is None else float(v)
        existing = [k for k in keys if abs(k.t - t) < 1e-9]
        if existing:
            existing[0].v = value
            return KeyRef(track, _index_of(keys, existing[0]), "v")
        key = Key(t=t, v=value)
    elif track_spec.kind == "events":
        key = track_spec.record(t=t)
    elif track_spec.interpolated:
        now = record_values(project, track, np.array([t]))
        key = track_spec.record(t=t, **{name: float(now[name][0]) for name in track_spec.plotted})
        if v is not None:
            lo, hi = track_spec.field_spec(field).edit_range
            setattr(key, field, float(min(max(v, lo), hi)))
    else:  # held keys (emotion): the key in force carries on, else the track's first key
        before = [k for k in keys if k.t <= t]
        current = max(before, key=lambda k: k.t) if before else None
        values = ({f.name: getattr(current, f.name) for f in track_spec.fields} if current
                  else dict(track_spec.first_key))
        if v is not None:
            lo, hi = track_spec.field_spec(field).edit_range
            values[field] = float(min(max(v, lo), hi))
        key = track_spec.record(t=t, **values)
    keys.append(key)
    keys.sort(key=lambda k: k.t)
    return KeyRef(track, _index_of(keys, key), field)


def delete_keys(project: Project, refs: list[KeyRef]) -> None:
    doomed: dict[str, set[int]] = {}
    for ref in refs:
        doomed.setdefault(ref.track, set()).add(ref.index)
    for track, indices in doomed.items():
        keys = key_list(project, track)
        keys[:] = [k for i, k in enumerate(keys) if i not in indices]


def set_interpolation(project: Project, refs: list[KeyRef], interp: str) -> None:
    if interp not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {interp!r}")
    for ref in refs:
        key = key_list(project, ref.track)[ref.index]
        if hasattr(key, "interp"):
            key.interp = interp


def tracks_of(refs: list[KeyRef] | list[KeyMove]) -> list[str]:
    names = {getattr(r, "ref", r).track for r in refs}
    return sorted(names)


def _index_of(keys: list, key: object) -> int:
    return next(i for i, k in enumerate(keys) if k is key)
