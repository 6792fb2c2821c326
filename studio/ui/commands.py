"""Every edit is a QUndoCommand over the Document's invertible operations.

Timeline gestures touch several keys of several tracks at once, and sorting can reorder keys
mid-drag, so key commands snapshot the affected tracks before and after: redo and undo are one
`Document.replace_track` per track. Settings use `Document.set_setting`, which returns the old
value. Commands know nothing of widgets and are tested on a bare QUndoStack.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from studio.analysis.performance import Performance
from studio.conditioning.blinks import refresh_auto_blinks
from studio.conditioning.styles import Preset, apply_preset
from studio.doc.document import Document
from studio.doc.project import Project, VisemeSegment
from studio.doc.tracks import spec
from studio.ui.timeline.keys import (
    KeyMove, KeyRef, add_key, apply_moves, delete_keys, key_list, set_interpolation,
)


def scratch_copy(project: Project) -> Project:
    """A project whose tracks may be edited freely (for previews and for computing commands)."""
    scratch = copy.copy(project)
    scratch.tracks = copy.deepcopy(project.tracks)
    return scratch


class TrackEditCommand(QUndoCommand):
    """Replace whole tracks; `selection` is where the edited keys are after redo."""

    def __init__(self, doc: Document, text: str, before: dict[str, list[Any]],
                 after: dict[str, list[Any]], selection: list[KeyRef]) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = before
        self.after = after
        self.selection = selection

    def redo(self) -> None:
        for track, items in self.after.items():
            self.doc.replace_track(track, items)

    def undo(self) -> None:
        for track, items in self.before.items():
            self.doc.replace_track(track, items)


def _track_edit(doc: Document, text: str, tracks: list[str],
                edit: Callable[[Project], list[KeyRef]]) -> TrackEditCommand | None:
    scratch = scratch_copy(doc.project)
    selection = edit(scratch)
    before = {t: copy.deepcopy(key_list(doc.project, t)) for t in tracks}
    after = {t: copy.deepcopy(key_list(scratch, t)) for t in tracks}
    if before == after:
        return None
    return TrackEditCommand(doc, text, before, after, selection)


def move_keys(doc: Document, moves: list[KeyMove]) -> TrackEditCommand | None:
    tracks = sorted({m.ref.track for m in moves})
    text = "Move key" if len(moves) == 1 else f"Move {len(moves)} keys"
    return _track_edit(doc, text, tracks, lambda p: apply_moves(p, moves))


def add_key_command(doc: Document, track: str, field: str, t: float,
                    v: float | None = None) -> TrackEditCommand | None:
    label = "blink" if spec(track).kind == "events" else f"{track.replace('_', ' ')} key"
    return _track_edit(doc, f"Add {label}", [track], lambda p: [add_key(p, track, field, t, v)])


def delete_keys_command(doc: Document, refs: list[KeyRef]) -> TrackEditCommand | None:
    unique = sorted(set(refs), key=lambda r: (r.track, r.index))
    tracks = sorted({r.track for r in unique})
    count = len({(r.track, r.index) for r in unique})
    text = "Delete key" if count == 1 else f"Delete {count} keys"

    def edit(p: Project) -> list[KeyRef]:
        delete_keys(p, unique)
        return []

    return _track_edit(doc, text, tracks, edit)


def interpolation_command(doc: Document, refs: list[KeyRef],
                          interp: str) -> TrackEditCommand | None:
    tracks = sorted({r.track for r in refs})

    def edit(p: Project) -> list[KeyRef]:
        set_interpolation(p, refs, interp)
        return list(refs)

    return _track_edit(doc, f"Interpolation {interp}", tracks, edit)


def edit_key_command(doc: Document, ref: KeyRef, **values: Any) -> TrackEditCommand | None:
    """An inspector edit: set fields (t, v, emotion, intensity, duration, ...) of one key."""

    def edit(p: Project) -> list[KeyRef]:
        keys = key_list(p, ref.track)
        key = keys[ref.index]
        for name, value in values.items():
            setattr(key, name, value)
        for name, value in spec(ref.track).on_edit.items():
            setattr(key, name, value)  # an edited automatic blink is the artist's from now on
        keys.sort(key=lambda k: k.t)
        return [KeyRef(ref.track, next(i for i, k in enumerate(keys) if k is key), ref.field)]

    return _track_edit(doc, f"Edit {ref.track.replace('_', ' ')} key", [ref.track], edit)


class SetSettingCommand(QUndoCommand):
    """A project setting (fps, size, seed, renderer, style preset, ...)."""

    def __init__(self, doc: Document, name: str, value: Any) -> None:
        super().__init__(f"Set {name.split('.')[-1].replace('_', ' ')}")
        self.doc = doc
        self.name = name
        self.value = value
        self.old = doc.setting(name)

    def redo(self) -> None:
        self.old = self.doc.set_setting(self.name, self.value)

    def undo(self) -> None:
        self.doc.set_setting(self.name, self.old)


class ApplyPresetCommand(QUndoCommand):
    """A speaking-style preset: its name (or file), style keys and blink rate, as one step."""

    def __init__(self, doc: Document, preset: Preset, source: str) -> None:
        super().__init__(f"Style preset {preset.name}")
        self.doc = doc
        scratch = scratch_copy(doc.project)
        apply_preset(scratch, preset)
        scratch.style_preset = source  # a user's file is referred to by its path
        self.before = _style_state(doc.project)
        self.after = _style_state(scratch)

    def redo(self) -> None:
        _set_style_state(self.doc, self.after)

    def undo(self) -> None:
        _set_style_state(self.doc, self.before)


def _style_state(project: Project) -> tuple[str, list, list, float]:
    rate = project.tracks.blink_rate
    return (project.style_preset, copy.deepcopy(project.tracks.style), copy.deepcopy(rate.keys),
            rate.default)


def _set_style_state(doc: Document, state: tuple[str, list, list, float]) -> None:
    name, style, rate_keys, rate_default = state
    doc.set_setting("style_preset", name)
    doc.replace_track("style", style)
    doc.replace_track("blink_rate", rate_keys)
    doc.set_curve_default("blink_rate", rate_default)


def refresh_blinks_command(doc: Document, performance: Performance | None
                           ) -> TrackEditCommand | None:
    """Redraw the automatic blinks for what the project is now (rate, seed, voice, length)."""
    if doc.project.duration <= 0:
        return None
    new = refresh_auto_blinks(doc.project, performance)
    old = copy.deepcopy(doc.project.tracks.blinks)
    if new == old:
        return None
    return TrackEditCommand(doc, "Redraw automatic blinks", {"blinks": old}, {"blinks": new}, [])


def viseme_override_command(doc: Document, index: int, viseme: str) -> TrackEditCommand | None:
    """The artist's mouth shape over one segment: a "user" segment that wins over lip sync."""
    segments = copy.deepcopy(doc.project.tracks.visemes)
    old = segments[index]
    if old.viseme == viseme and old.source == "user":
        return None
    segments[index] = VisemeSegment(old.start, old.end, viseme, "user")
    return TrackEditCommand(doc, f"Viseme {viseme}", {"visemes": doc.items("visemes")},
                            {"visemes": segments}, [])


def viseme_automatic_command(doc: Document, index: int, automatic: list[VisemeSegment]
                             ) -> TrackEditCommand | None:
    """An overridden segment back to lip sync: the `automatic` segments over its span."""
    segments = doc.items("visemes")
    old = segments.pop(index)
    if old.source != "user":
        return None
    segments += [VisemeSegment(max(s.start, old.start), min(s.end, old.end), s.viseme, s.source)
                 for s in automatic if s.start < old.end and s.end > old.start]
    return TrackEditCommand(doc, "Viseme back to automatic", {"visemes": doc.items("visemes")},
                            {"visemes": segments}, [])
