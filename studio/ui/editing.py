"""Edits of the document through the undo stack: keys, settings, visemes and style presets.

Every gesture becomes a command on the session's stack; a step of several commands is reported
once, and an edit that changes what the automatic blinks follow from redraws them in the same
undo step.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QWidget

import numpy as np

from studio.conditioning.styles import Preset, load_preset, resolve_preset, save_preset
from studio.doc.curves import sample_curve, sample_records
from studio.doc.errors import InputError
from studio.doc.project import STYLE_FIELDS
from studio.render.registry import renderer_kind, stored_settings
from studio.ui import commands, file_dialogs
from studio.ui.inspector import Inspector, in_studio_words
from studio.ui.notices import Notices
from studio.ui.preview import Preview
from studio.ui.session import Session
from studio.ui.timeline.keys import KeyMove, KeyRef
from studio.ui.timeline.view import Timeline

STYLE_FILTER = "Style presets (*.json)"


class DocumentEditing:
    """Gestures of the timeline and the inspector as commands, refused ones with a dialog."""

    def __init__(self, session: Session, window: QWidget, settings: QSettings, timeline: Timeline,
                 inspector: Inspector, preview: Preview, notices: Notices) -> None:
        self.session = session
        self.window = window  # the parent of the style preset file choosers
        self.settings = settings
        self.timeline = timeline
        self.inspector = inspector
        self.preview = preview
        self.notices = notices

    def push(self, command) -> None:
        """Apply a command through the undo stack; None (a gesture that changed nothing) is fine.

        An edit of the blink rate redraws the automatic blinks in the same undo step.
        """
        if command is None:
            self.timeline.set_project(self.session.project)
            self.preview.request()
            return
        if isinstance(command, commands.TrackEditCommand) and "blink_rate" in command.after:
            self.push_with_blinks(command.text(), [command])
        else:
            self.session.undo_stack.push(command)
        if isinstance(command, commands.TrackEditCommand):
            self.timeline.set_selection(command.selection)

    def push_with_blinks(self, text: str, edits: list) -> None:
        """Edits that change what automatic blinks follow from, and the redrawn blinks: one step."""
        session = self.session
        with session.batched(text):
            for edit in edits:
                session.undo_stack.push(edit)
            refresh = commands.refresh_blinks_command(session.doc, session.blink_performance())
            if refresh is not None:
                session.undo_stack.push(refresh)

    def refresh_inspector(self) -> None:
        self.inspector.show_key(self.session.project, self.timeline.selected())
        self.inspector.show_settings(self.session.project)

    # ---- keys ----------------------------------------------------------------------------
    def add_key(self, track: str, field: str, t: float, value: float | None = None) -> None:
        """A key at time `t`; without a value, the curve's value there."""
        self.push(commands.add_key_command(self.session.doc, track, field, t, value))

    def edit_key(self, ref: KeyRef, values: dict) -> None:
        self.push(commands.edit_key_command(self.session.doc, ref, **values))

    def set_interpolation(self, refs: list[KeyRef], interp: str) -> None:
        self.push(commands.interpolation_command(self.session.doc, refs, interp))

    def move_keys(self, moves: list[KeyMove]) -> None:
        self.push(commands.move_keys(self.session.doc, moves))

    def delete_keys(self, refs: list[KeyRef]) -> None:
        if refs:
            self.push(commands.delete_keys_command(self.session.doc, refs))

    def override_viseme(self, index: int, viseme: str) -> None:
        self.push(commands.viseme_override_command(self.session.doc, index, viseme))

    def restore_viseme(self, index: int) -> None:
        """"Back to automatic" on an overridden segment: the lip sync's shapes over its span."""
        analysis = self.session.analysis()
        if analysis is None or not analysis.complete:
            self.notices.status("Lip sync is still running: try again once it is done", 5000)
            return
        self.push(commands.viseme_automatic_command(self.session.doc, index, analysis.visemes))

    # ---- settings and styles ---------------------------------------------------------------
    def change_setting(self, name: str, value) -> None:
        """An inspector setting; a refused one gets a dialog and the inspector shows the old value."""
        doc = self.session.doc
        if doc.setting(name) == value:
            return
        try:
            if name.startswith("render."):
                self._check_render_setting(name, value)
            if name == "style_preset":
                self.apply_style(resolve_preset(value), value)
                return
            command = commands.SetSettingCommand(doc, name, value)
            if name in ("seed", "fps"):
                self.push_with_blinks(command.text(), [command])
            else:
                self.session.undo_stack.push(command)
        except InputError as error:
            self.notices.error(in_studio_words(str(error)))
            QTimer.singleShot(0, self.inspector, self.refresh_inspector)

    def _check_render_setting(self, name: str, value) -> None:
        """Refuse a renderer setting out of its range, or a model or folder the renderer could
        not load, with the renderer's own message (studio.render.registry)."""
        trial = copy.deepcopy(self.session.project.render)
        parts = name.split(".")
        if parts == ["render", "renderer"]:
            trial.renderer = value
        elif len(parts) == 3 and parts[0] == "render":
            trial.options.setdefault(parts[1], {})[parts[2]] = value
        else:
            return
        kind = renderer_kind(trial.renderer)
        settings = kind.resolve(stored_settings(trial, kind.name))
        sources = [s.name for s in kind.settings if s.type in ("choice", "folder")]
        if parts[-1] == "renderer" or (parts[1] == kind.name and parts[2] in sources):
            kind.check_sources(settings)

    def apply_style(self, preset, source: str) -> None:
        """A speaking-style preset (built-in name or file path) and its blinks, as one undo step."""
        command = commands.ApplyPresetCommand(self.session.doc, preset, source)
        self.push_with_blinks(command.text(), [command])

    def load_style_preset(self) -> None:
        path = file_dialogs.open_file(self.window, self.settings, "style", "Load style preset",
                                      STYLE_FILTER)
        if path is None:
            return
        try:
            self.apply_style(load_preset(path), str(Path(path).absolute()))
        except InputError as error:
            self.notices.error(str(error))

    def save_style_preset(self, path: Path | None = None) -> bool:
        """The style at the playhead, the blink rate and the current preset's motion, as a file."""
        if path is None:
            path = file_dialogs.save_file(self.window, self.settings, "style",
                                          "Save style preset", "my-style.json", STYLE_FILTER)
            if path is None:
                return False
        path = path.with_suffix(".json")
        project = self.session.project
        t = np.array([self.session.frame / project.fps])
        style = sample_records(project.tracks.style, STYLE_FIELDS, t,
                               dict.fromkeys(STYLE_FIELDS, 1.0))
        try:
            base = resolve_preset(project.style_preset)
            preset = Preset(path.stem, f"saved from {self.session.doc.name}",
                            {k: float(v[0]) for k, v in style.items()},
                            float(sample_curve(project.tracks.blink_rate, t)[0]),
                            dict(base.motion), base.expressive)
            save_preset(preset, path)
        except (InputError, OSError) as error:
            self.notices.error(f"cannot save style preset {path.name}: {error}")
            return False
        self.notices.status(f"Saved style preset {path}", 4000)
        return True
