"""Edits of the document through the undo stack: keys, settings, visemes and style presets.

Every gesture becomes a command on the stack; a step of several commands is redrawn once, and
an edit that changes what the automatic blinks follow from redraws them in the same undo step.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QTimer

import numpy as np

from studio.conditioning.presets import Preset, load_preset, save_preset
from studio.doc.curves import sample_curve, sample_records
from studio.doc.errors import InputError
from studio.doc.project import STYLE_FIELDS
from studio.engine.styles import resolve_preset
from studio.ui import commands, file_dialogs
from studio.ui.inspector import in_studio_words
from studio.ui.media import audio_key
from studio.ui.timeline.keys import KeyRef

STYLE_FILTER = "Style presets (*.json)"


class DocumentEditing:
    """MainWindow's edits: commands pushed, batched into one redraw, refused with a dialog."""

    def _push(self, command) -> None:
        """Apply a command through the undo stack; None (a gesture that changed nothing) is fine.

        An edit of the blink rate redraws the automatic blinks in the same undo step.
        """
        if command is None:
            self.timeline.set_project(self.doc.project)
            self.request_preview()
            return
        if isinstance(command, commands.TrackEditCommand) and "blink_rate" in command.after:
            self._push_with_blinks(command.text(), [command])
        else:
            self.undo_stack.push(command)
        if isinstance(command, commands.TrackEditCommand):
            self.timeline.set_selection(command.selection)

    def _push_with_blinks(self, text: str, edits: list) -> None:
        """Edits that change what automatic blinks follow from, and the redrawn blinks: one step."""
        with self._batched(text):
            for edit in edits:
                self.undo_stack.push(edit)
            refresh = commands.refresh_blinks_command(self.doc, self._blink_performance())
            if refresh is not None:
                self.undo_stack.push(refresh)

    @contextmanager
    def _batched(self, text: str):
        """One undo step of several commands, redrawn once when it is complete."""
        with self._redraw_once():
            self.undo_stack.beginMacro(text)
            try:
                yield
            finally:
                self.undo_stack.endMacro()

    @contextmanager
    def _redraw_once(self):
        """Document changes inside are collected and the views refreshed once at the end:
        redrawing the timeline after each command of a step would cost tens of ms apiece."""
        outer = self._batch is None
        if outer:
            self._batch = set()
        try:
            yield
        finally:
            if outer:
                parts, self._batch = frozenset(self._batch), None
                if parts:
                    self._doc_changed(parts)

    def _blink_performance(self):
        """The voice's performance for blink timing (pauses): the lip-sync pass when there is one.

        The pauses depend on the voice alone, so an analysis under another seed serves as well.
        """
        project = self.doc.project
        if not project.audio:
            return None
        analysis = self.audio.get(audio_key(project))
        if analysis is not None and analysis.complete:
            return analysis.performance
        same_voice = [a for key, a in self.audio.items()
                      if key[:2] == (project.audio, project.fps) and a.complete]
        if same_voice:
            return same_voice[0].performance
        return analysis.performance if analysis is not None else None

    def delete_keys(self, refs: list[KeyRef]) -> None:
        if refs:
            self._push(commands.delete_keys_command(self.doc, refs))

    def _change_setting(self, name: str, value) -> None:
        """An inspector setting; a refused one gets a dialog and the inspector shows the old value."""
        if self.doc.setting(name) == value:
            return
        try:
            if name.startswith("render."):
                self._check_render_setting(name, value)
            if name == "style_preset":
                self.apply_style(resolve_preset(value), value)
                return
            command = commands.SetSettingCommand(self.doc, name, value)
            if name in ("seed", "fps"):
                self._push_with_blinks(command.text(), [command])
            else:
                self.undo_stack.push(command)
        except InputError as error:
            self.show_error(in_studio_words(str(error)))
            QTimer.singleShot(0, self, self._refresh_inspector)

    def _check_render_setting(self, name: str, value) -> None:
        """Refuse a diffusion model or models folder the loader could not use, with its message."""
        from studio.render.diffusion.presets import load_preset, resolve_models_dir

        trial = copy.deepcopy(self.doc.project.render)
        owner, attr = (trial.diffusion, name.rsplit(".", 1)[1]) if name.startswith(
            "render.diffusion.") else (trial, name.rsplit(".", 1)[1])
        setattr(owner, attr, value)
        if trial.renderer != "diffusion" or attr not in ("model", "models_dir", "renderer"):
            return
        preset = load_preset(trial.diffusion.model)
        root = resolve_models_dir(preset, trial.diffusion.models_dir)
        if not preset.built_in:
            preset.check_folder(root)

    def apply_style(self, preset, source: str) -> None:
        """A speaking-style preset (built-in name or file path) and its blinks, as one undo step."""
        command = commands.ApplyPresetCommand(self.doc, preset, source)
        self._push_with_blinks(command.text(), [command])

    def load_style_preset(self) -> None:
        path = file_dialogs.open_file(self, self.settings, "style", "Load style preset",
                                      STYLE_FILTER)
        if path is None:
            return
        try:
            self.apply_style(load_preset(path), str(Path(path).absolute()))
        except InputError as error:
            self.show_error(str(error))

    def save_style_preset(self, path: Path | None = None) -> bool:
        """The style at the playhead, the blink rate and the current preset's motion, as a file."""
        if path is None:
            path = file_dialogs.save_file(self, self.settings, "style", "Save style preset",
                                          "my-style.json", STYLE_FILTER)
            if path is None:
                return False
        path = path.with_suffix(".json")
        project = self.doc.project
        t = np.array([self.frame / project.fps])
        style = sample_records(project.tracks.style, STYLE_FIELDS, t,
                               dict.fromkeys(STYLE_FIELDS, 1.0))
        try:
            base = resolve_preset(project.style_preset)
            preset = Preset(path.stem, f"saved from {self.doc.name}",
                            {k: float(v[0]) for k, v in style.items()},
                            float(sample_curve(project.tracks.blink_rate, t)[0]),
                            dict(base.motion), base.expressive)
            save_preset(preset, path)
        except (InputError, OSError) as error:
            self.show_error(f"cannot save style preset {path.name}: {error}")
            return False
        self.statusBar().showMessage(f"Saved style preset {path}", 4000)
        return True

    def override_viseme(self, index: int, viseme: str) -> None:
        self._push(commands.viseme_override_command(self.doc, index, viseme))

    def restore_viseme(self, index: int) -> None:
        """"Back to automatic" on an overridden segment: the lip sync's shapes over its span."""
        analysis = self.audio.get(audio_key(self.doc.project))
        if analysis is None or not analysis.complete:
            self.statusBar().showMessage("Lip sync is still running: try again once it is done",
                                         5000)
            return
        self._push(commands.viseme_automatic_command(self.doc, index, analysis.visemes))
