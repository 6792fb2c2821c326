"""The inspector: numeric editing of the selected key and of the project's render settings.

It edits nothing itself: every change leaves as keyEdited/settingChanged and comes back through
an undo command and the document's change event, which also refreshes these fields.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QFrame, QGroupBox, QLabel, QScrollArea, QSizePolicy,
    QVBoxLayout, QWidget,
)

from studio.conditioning.styles import BUILTIN as STYLE_PRESETS
from studio.doc.io import setting_bounds
from studio.doc.errors import InputError
from studio.doc.project import INTERPOLATIONS, Project
from studio.doc.tracks import spec
from studio.render.registry import all_kinds, stored_settings
from studio.ui import theme
from studio.ui.fields import double_box, form_layout, shrinkable, whole_box
from studio.ui.help import as_sentence
from studio.ui.renderer_form import RendererForm
from studio.ui.timeline.keys import KeyRef, key_list



def in_studio_words(message: str) -> str:
    """A renderer's refusal as the studio says it: each renderer names the command line's words
    (a flag such as --models) and the inspector's (its Choose… button) for the same thing."""
    for kind in all_kinds():
        for command_line, studio in kind.studio_wording:
            message = message.replace(command_line, studio)
    return message


MIN_WIDTH = 240  # the dock's narrowest: labels and fields still readable side by side


class Inspector(QScrollArea):
    keyEdited = Signal(object, dict)  # KeyRef, {field: value}
    settingChanged = Signal(str, object)  # dotted setting name, value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.NoFrame)
        self.setMinimumWidth(MIN_WIDTH)
        body = QWidget()
        # the body follows the viewport's width (no horizontal scrolling): its minimum stays
        # below the dock's so nothing is clipped at the right edge
        body.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.key_group = QGroupBox("Key")
        self.key_form = self._form(self.key_group)
        self.render_group = QGroupBox("Render")
        self.render_form = self._form(self.render_group)
        layout.addWidget(self.key_group)
        layout.addWidget(self.render_group)
        layout.addStretch(1)
        self.setWidget(body)
        self.fields: dict[str, QWidget] = {}
        self._project: Project | None = None
        self._ref: KeyRef | None = None
        self._shape: tuple | None = None  # what the key form shows: a message or a track's key
        self._build_render_form()
        self.show_key(None, [])

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        return form_layout(group)

    # -- the selected key ------------------------------------------------------------------
    def show_key(self, project: Project | None, refs: list[KeyRef]) -> None:
        """Show the selected key. The same kind of key as before keeps its fields and only
        their values change: this is called while a field's own edit is being handled (the
        edit selects the edited key), and deleting the widget that is handling an event
        crashes Qt. A form of another shape replaces the old one, which is deleted later."""
        self._project = project
        keys = {(r.track, r.index) for r in refs}
        if project is None or len(keys) != 1:
            text = "Select a key on the timeline" if not keys else f"{len(keys)} keys selected"
            self._ref = None
            self._rebuild(("message", text), lambda: self.key_form.addRow(QLabel(text)))
            return
        ref = self._ref = refs[-1]
        key = key_list(project, ref.track)[ref.index]
        self._rebuild(("key", ref.track), lambda: self._key_fields(ref.track))
        self.fields["t"].setMaximum(max(project.duration, key.t))
        self.fields["t"].setSingleStep(1.0 / project.fps)
        for name, widget in self.fields.items():
            self._show_value(widget, getattr(key, name))

    def _rebuild(self, shape: tuple, build) -> None:
        if shape == self._shape:
            return
        self._shape = shape
        while self.key_form.rowCount():
            row = self.key_form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                if item is not None and item.widget() is not None:
                    item.widget().hide()
                    item.widget().deleteLater()
        self.fields = {}
        build()

    def _key_fields(self, track: str) -> None:
        """The key's time, its fields as the track registry defines them (label, range, step),
        and its interpolation when it has one."""
        track_spec = spec(track)
        self.key_form.addRow(QLabel(track_spec.label))
        self._add("t", "Time (s)", double_box(0.0, 1.0, 0.0, 0.04, 3))
        for field in track_spec.fields:
            if field.choices:
                if field.name == "source":
                    continue  # who made the key: shown by the timeline, set by edits
                combo = QComboBox()
                combo.addItems(field.choices)
                self._add(field.name, field.label, combo)
            else:
                lo, hi = field.edit_range
                self._add(field.name, field.label,
                          double_box(lo, hi, field.default, field.step, field.decimals))
        if track_spec.interpolated:
            combo = QComboBox()
            combo.addItems(INTERPOLATIONS)
            self._add("interp", "Interpolation", combo)

    @staticmethod
    def _show_value(widget: QWidget, value) -> None:
        """Set a field without echoing it as an edit, and only when it differs: a field that
        already shows the value is left alone (its cursor and selection stay)."""
        widget.blockSignals(True)
        if isinstance(widget, QComboBox):
            if widget.currentText() != value:
                widget.setCurrentText(value)
        elif widget.value() != value:
            widget.setValue(value)
        widget.blockSignals(False)

    def _add(self, name: str, label: str, widget: QWidget) -> None:
        self.fields[name] = shrinkable(widget)
        self.key_form.addRow(label, widget)
        if isinstance(widget, QComboBox):
            widget.activated.connect(lambda _=0, n=name, w=widget: self._emit_key(n, w.currentText()))
        else:
            widget.valueChanged.connect(lambda value, n=name: self._emit_key(n, float(value)))

    def _emit_key(self, name: str, value) -> None:
        if self._ref is not None:
            self.keyEdited.emit(self._ref, {name: value})

    # -- render settings -------------------------------------------------------------------
    def _build_render_form(self) -> None:
        form = self.render_form
        self.renderer = QComboBox()
        self.renderer.addItems([kind.name for kind in all_kinds()])
        self.width_box = whole_box(*setting_bounds("width"), step=16)
        self.height_box = whole_box(*setting_bounds("width"), step=16)
        self.fps_box = whole_box(*setting_bounds("fps"))
        self.seed_box = whole_box(0, 2**31 - 1)
        self.preset = QComboBox()
        for widget in (self.renderer, self.width_box, self.height_box, self.fps_box,
                       self.seed_box, self.preset):
            shrinkable(widget)
        form.addRow("Renderer", self.renderer)
        self.renderer_notes: dict[str, QLabel] = {}
        for kind in all_kinds():
            note = self._missing_note(kind)
            if note is not None:
                self.renderer_notes[kind.name] = note
                form.addRow(note)
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_box)
        form.addRow("Frame rate", self.fps_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("Style preset", self.preset)
        # one group per renderer that has settings, below the render group
        self.renderer_forms: dict[str, RendererForm] = {}
        for kind in all_kinds():
            if kind.settings:
                group = RendererForm(kind)
                group.changed.connect(self.settingChanged)
                self.renderer_forms[kind.name] = group
                self.widget().layout().insertWidget(1 + len(self.renderer_forms), group)
        self.renderer.activated.connect(
            lambda _: self.settingChanged.emit("render.renderer", self.renderer.currentText()))
        self.preset.activated.connect(
            lambda _: self.settingChanged.emit("style_preset", self.preset.currentData()))
        for name, box in (("width", self.width_box), ("height", self.height_box),
                          ("fps", self.fps_box), ("seed", self.seed_box)):
            box.valueChanged.connect(lambda value, n=name: self.settingChanged.emit(n, int(value)))

    def _missing_note(self, kind) -> QLabel | None:
        """A renderer this installation cannot run (the bundle built without DIFFUSION=1 has no
        torch) stays in the list, disabled, and a note says what to install: a choice that
        vanished would leave the user wondering where it went."""
        missing = kind.missing()
        if not missing:
            return None
        text = as_sentence(kind.missing_message(missing))
        index = self.renderer.findText(kind.name)
        self.renderer.model().item(index).setEnabled(False)
        self.renderer.setItemData(index, text, Qt.ToolTipRole)
        note = QLabel(kind.missing_note(missing))
        note.setToolTip(text)
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextSelectableByMouse)
        note.setStyleSheet(f"color: {theme.MUTED};")
        return note

    def show_settings(self, project: Project) -> None:
        widgets = (self.renderer, self.width_box, self.height_box, self.fps_box, self.seed_box,
                   self.preset)
        for widget in widgets:
            widget.blockSignals(True)
        self.renderer.setCurrentText(project.render.renderer)
        self.width_box.setValue(project.width)
        self.height_box.setValue(project.height)
        self.fps_box.setValue(project.fps)
        self.seed_box.setValue(min(project.seed, 2**31 - 1))
        self._show_preset(project.style_preset)
        for widget in widgets:
            widget.blockSignals(False)
        for name, group in self.renderer_forms.items():
            try:
                values = group.kind.resolve(stored_settings(project.render, name))
            except (InputError, KeyError):  # refused on load or edit; shown as the defaults
                values = group.kind.defaults()
            group.show_values(values)
            group.setEnabled(project.render.renderer == name)

    def _show_preset(self, name: str) -> None:
        """Built-in styles by name; a user's preset file by its stem, the path kept as data."""
        self.preset.clear()
        for builtin in STYLE_PRESETS:
            self.preset.addItem(builtin, builtin)
        if name not in STYLE_PRESETS:
            self.preset.addItem(f"{Path(name).stem} (file)", name)
        self.preset.setCurrentIndex(self.preset.findData(name))
