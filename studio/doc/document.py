"""The open project as the application edits it: data, file, unsaved mark, change events.

Views never poll: they subscribe with `doc.events.connect(callback)` and are told which parts
changed (track names such as "head_yaw" or "blinks", or "settings", "media"), so a blink edit
redraws the blink lane and not the pose curves. The edit methods are the only way the UI changes
the project; each returns exactly what its inverse needs, so every undo command is two calls:
redo = `old = doc.replace_track(track, new)`, undo = `doc.replace_track(track, old)`.
"""

from __future__ import annotations

import copy
import os
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Callable

from studio.doc.errors import InputError
from studio.doc.io import load_project, save_project
from studio.doc.project import Curve, Project
from studio.doc.schema import setting_bounds, setting_schema
from studio.doc.tracks import spec

MEDIA_SETTINGS: tuple[str, ...] = ("portrait", "audio", "transcript")

# Numeric settings the schema bounds: edits outside are refused at once instead of producing a
# file that will not load.
_BOUNDED_SETTINGS: tuple[str, ...] = ("fps", "width", "height", "seed", "duration")

Callback = Callable[[frozenset[str]], None]


class EventEmitter:
    """Callbacks told which parts of the document changed, in the order they connected."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        self._callbacks.remove(callback)

    def emit(self, changed: frozenset[str]) -> None:
        for callback in list(self._callbacks):
            callback(changed)


class Document:
    """A Project, the file it lives in, and whether it has unsaved edits."""

    def __init__(self, project: Project | None = None, path: str | os.PathLike[str] | None = None
                 ) -> None:
        self.project = project if project is not None else Project()
        self.path: Path | None = Path(os.path.abspath(path)) if path is not None else None
        self.dirty = False
        self.events = EventEmitter()

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Document:
        return cls(load_project(path), path)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save to `path` (Save As) or to the current file; clears the unsaved mark."""
        target = Path(os.path.abspath(path)) if path is not None else self.path
        if target is None:
            raise InputError("the project has no file yet; choose where to save it")
        save_project(self.project, target)
        self.path = target
        self.dirty = False
        return target

    @property
    def name(self) -> str:
        return self.path.stem if self.path is not None else "Untitled"

    def notify(self, changed: set[str] | frozenset[str]) -> None:
        """Mark the document edited and tell every view which parts changed."""
        self.dirty = True
        self.events.emit(frozenset(changed))

    # -- tracks ------------------------------------------------------------------------------

    def _items(self, track: str) -> list[Any]:
        return spec(track).items(self.project.tracks)

    def items(self, track: str) -> list[Any]:
        """A copy of a track's keys (Key for curves, Blink, EmotionKey, ... for the others)."""
        return copy.deepcopy(self._items(track))

    def replace_track(self, track: str, items: list[Any]) -> list[Any]:
        """Set all keys of a track at once (an analysis refill, a paste); returns the old ones."""
        track_spec = spec(track)
        old = track_spec.items(self.project.tracks)
        track_spec.set_items(self.project.tracks, sorted(copy.deepcopy(items), key=track_spec.order))
        self.notify({track})
        return old

    def set_curve_default(self, track: str, value: float) -> float:
        """The value of a curve with no keys (the blink rate when unkeyed); returns the old one."""
        if spec(track).kind != "curve":
            raise KeyError(f"{track!r} is not a curve track")
        curve: Curve = getattr(self.project.tracks, track)
        old, curve.default = curve.default, float(value)
        self.notify({track})
        return old

    # -- settings ----------------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        """A project-level value by dotted name: "fps", "render.renderer", or a renderer's
        setting, "render.<renderer>.<setting>" (None while it keeps the renderer's default)."""
        if self._renderer_setting(name):
            return self.project.render.options.get(name.split(".")[1], {}).get(name.split(".")[2])
        owner, attr = self._owner(name)
        return getattr(owner, attr)

    def set_setting(self, name: str, value: Any) -> Any:
        """Change a project-level value; returns the old one (undo: set it back).

        Portrait, audio and transcript changes are announced as "media" (they need a new
        analysis); everything else as "settings".
        """
        if self._renderer_setting(name):
            # the renderer checks its own settings (studio.render.registry); None is its default
            _, renderer, attr = name.split(".")
            options = self.project.render.options.setdefault(renderer, {})
            old = options.pop(attr, None)
            if value is not None:
                options[attr] = value
            if not options:
                del self.project.render.options[renderer]
            self.notify({"settings"})
            return old
        owner, attr = self._owner(name)
        old = getattr(owner, attr)
        if name in _BOUNDED_SETTINGS:
            low, high = setting_bounds(name)
            whole = setting_schema(name)["type"] == "integer"
            if (not isinstance(value, int if whole else (int, float)) or isinstance(value, bool)
                    or not low <= value <= high):
                kind = "a whole number" if whole else "a number"
                raise InputError(f"{name} must be {kind} between {low} and {high}, not {value}")
            if name in ("width", "height") and value % 2:
                raise InputError(f"{name} must be even (video encoders need even sizes), "
                                 f"not {value}")
        setattr(owner, attr, value)
        self.notify({"media" if name in MEDIA_SETTINGS else "settings"})
        return old

    @staticmethod
    def _renderer_setting(name: str) -> bool:
        """Whether `name` is a renderer's own setting: "render.<renderer>.<setting>"."""
        parts = name.split(".")
        return len(parts) == 3 and parts[0] == "render" and all(parts[1:])

    def _owner(self, name: str) -> tuple[Any, str]:
        owner: Any = self.project
        *parents, attr = name.split(".")
        for part in parents:
            owner = getattr(owner, part, None)
        if (owner is None or not is_dataclass(owner) or attr == "tracks"
                or attr not in {f.name for f in fields(owner)}):
            raise KeyError(f"no project setting named {name!r}")
        return owner, attr
