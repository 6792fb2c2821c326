"""The inspector: numeric editing of the selected key and of the project's render settings.

It edits nothing itself: every change leaves as keyEdited/settingChanged and comes back through
an undo command and the document's change event, which also refreshes these fields.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox,
    QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QSpinBox, QVBoxLayout, QWidget,
)

from studio.conditioning.styles import BUILTIN as STYLE_PRESETS
from studio.doc.io import setting_bounds
from studio.doc.project import INTERPOLATIONS, RENDERERS, Project
from studio.doc.tracks import spec
from studio.render.diffusion import availability
from studio.render.diffusion.manifests import CHOOSE_MODELS_DIR, available_presets
from studio.ui import theme
from studio.ui.file_dialogs import take_back_keyboard
from studio.ui.help import as_sentence
from studio.ui.timeline.keys import KeyRef, key_list

DEVICES = ("auto", "cpu", "cuda", "mps")
# Where the studio chooses a models folder, for the message refusing a preset without one
MODELS_DIR_CHOICE = "choose the folder that holds it with Models folder > Choose… in the inspector"


def in_studio_words(message: str) -> str:
    """A renderer's refusal as the studio says it: the command line's way of choosing a models
    folder (--models, $STUDIO_MODELS) becomes the inspector's Models folder > Choose…."""
    return message.replace(CHOOSE_MODELS_DIR, MODELS_DIR_CHOICE)
TINY_MODEL_TIP = ("Random weights built into the studio: a test pattern that shows the diffusion "
                  "pipeline working, not a picture of the portrait. Choose an SD1.5 preset (and "
                  "its models folder) for real frames.")
MIN_WIDTH = 240  # the dock's narrowest: labels and fields still readable side by side
FIELD_MIN_WIDTH = 64


def _shrinkable(widget: QWidget) -> QWidget:
    """Let a field shrink with the dock: spin boxes size themselves for their whole range (ten
    digits for the seed) and combo boxes for their longest item, which would push the form past
    the dock's right edge."""
    widget.setMinimumWidth(FIELD_MIN_WIDTH)
    widget.setSizePolicy(QSizePolicy.Ignored, widget.sizePolicy().verticalPolicy())
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(4)
    return widget


class ElidedPath(QLabel):
    """A path shown in whatever width there is, elided in the middle (the folder's name at the
    end stays visible); the whole path is in the tooltip. Empty, it shows a grey placeholder."""

    def __init__(self, placeholder: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = ""
        self._placeholder = placeholder
        self._hint = hint
        self.setFrameShape(QFrame.StyledPanel)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(FIELD_MIN_WIDTH)

    def path(self) -> str:
        return self._path

    def set_path(self, path: str) -> None:
        self._path = path
        self.setToolTip(path or self._hint)
        self.update()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(FIELD_MIN_WIDTH, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)  # the frame; the label's own text stays empty
        painter = QPainter(self)
        area = self.contentsRect().adjusted(4, 0, -4, 0)
        text = self._path or self._placeholder
        if not self._path:
            painter.setPen(self.palette().placeholderText().color())
        painter.drawText(area, Qt.AlignVCenter | Qt.AlignLeft,
                         self.fontMetrics().elidedText(text, Qt.ElideMiddle, area.width()))


def _double(low: float, high: float, value: float, step: float = 0.1, decimals: int = 2):
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setKeyboardTracking(False)
    return box


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
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        form.setHorizontalSpacing(8)
        return form

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
        self._add("t", "Time (s)", _double(0.0, 1.0, 0.0, 0.04, 3))
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
                          _double(lo, hi, field.default, field.step, field.decimals))
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
        self.fields[name] = _shrinkable(widget)
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
        self.renderer.addItems(RENDERERS)
        self.width_box = QSpinBox()
        self.height_box = QSpinBox()
        for box in (self.width_box, self.height_box):
            box.setRange(*setting_bounds("width"))
            box.setSingleStep(16)
            box.setKeyboardTracking(False)
        self.fps_box = QSpinBox()
        self.fps_box.setRange(*setting_bounds("fps"))
        self.fps_box.setKeyboardTracking(False)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setKeyboardTracking(False)
        self.preset = QComboBox()
        self.steps = QSpinBox()
        self.steps.setRange(*setting_bounds("render.diffusion.steps"))
        self.steps.setKeyboardTracking(False)
        self.strength = _double(0.05, 1.0, 0.5, 0.05)
        self.cache = QCheckBox("Reuse work")
        self.cache.setToolTip("Step, foreground and frame caches: reuse work across denoising "
                              "steps and frames (faster previews); off gives the plain diffusers "
                              "result")
        self.model = QComboBox()  # preset names as item data: a label may say more
        for name in available_presets():
            self.model.addItem(name, name)
        tiny = self.model.findData("tiny")
        self.model.setItemText(tiny, "tiny — test pattern (random weights)")
        self.model.setItemData(tiny, TINY_MODEL_TIP, Qt.ToolTipRole)
        self.models_dir = ElidedPath(
            "default", "No folder chosen: $STUDIO_MODELS is used (the built-in tiny model "
            "needs none)")
        self.choose_models = QPushButton("Choose…")
        self.choose_models.setToolTip("Choose the folder the diffusion models are loaded from")
        self.choose_models.clicked.connect(self.choose_models_dir)
        folder = QWidget()
        folder.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        row = QHBoxLayout(folder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.models_dir, 1)
        row.addWidget(self.choose_models)
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        for widget in (self.renderer, self.width_box, self.height_box, self.fps_box,
                       self.seed_box, self.preset, self.model, self.steps, self.strength,
                       self.device):
            _shrinkable(widget)
        form.addRow("Renderer", self.renderer)
        self.renderer_note = self._diffusion_note()
        if self.renderer_note is not None:
            form.addRow(self.renderer_note)
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_box)
        form.addRow("Frame rate", self.fps_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("Style preset", self.preset)
        self.diffusion_group = QGroupBox("Diffusion")
        diffusion = self._form(self.diffusion_group)
        diffusion.addRow("Model", self.model)
        diffusion.addRow("Models folder", folder)
        diffusion.addRow("Steps", self.steps)
        diffusion.addRow("Strength", self.strength)
        diffusion.addRow("Device", self.device)
        diffusion.addRow("Caches", self.cache)
        self.widget().layout().insertWidget(2, self.diffusion_group)
        self.renderer.activated.connect(
            lambda _: self.settingChanged.emit("render.renderer", self.renderer.currentText()))
        self.preset.activated.connect(
            lambda _: self.settingChanged.emit("style_preset", self.preset.currentData()))
        self.model.activated.connect(
            lambda _: self.settingChanged.emit("render.diffusion.model", self.model.currentData()))
        self.device.activated.connect(
            lambda _: self.settingChanged.emit("render.diffusion.device", self.device.currentText()))
        for name, box in (("width", self.width_box), ("height", self.height_box),
                          ("fps", self.fps_box), ("seed", self.seed_box),
                          ("render.diffusion.steps", self.steps)):
            box.valueChanged.connect(lambda value, n=name: self.settingChanged.emit(n, int(value)))
        self.strength.valueChanged.connect(
            lambda value: self.settingChanged.emit("render.diffusion.strength", float(value)))
        self.cache.toggled.connect(
            lambda on: self.settingChanged.emit("render.diffusion.cache", bool(on)))

    def _diffusion_note(self) -> QLabel | None:
        """Without torch and diffusers (the bundle built without DIFFUSION=1) the diffusion
        renderer stays in the list, disabled, and a note says what to install: a choice that
        vanished would leave the user wondering where it went."""
        missing = availability.missing_packages()
        if not missing:
            return None
        text = as_sentence(availability.missing_message(missing))
        index = self.renderer.findText("diffusion")
        self.renderer.model().item(index).setEnabled(False)
        self.renderer.setItemData(index, text, Qt.ToolTipRole)
        note = QLabel(availability.missing_note(missing))
        note.setToolTip(text)
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextSelectableByMouse)
        note.setStyleSheet(f"color: {theme.MUTED};")
        return note

    def choose_models_dir(self) -> None:
        """The folder picker; the window checks the folder and refuses an unusable one."""
        start = self.models_dir.path() or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Models folder", start)
        take_back_keyboard(self)
        if path:
            self.settingChanged.emit("render.diffusion.models_dir", path)

    def show_settings(self, project: Project) -> None:
        widgets = (self.renderer, self.width_box, self.height_box, self.fps_box, self.seed_box,
                   self.preset, self.steps, self.strength, self.cache, self.model, self.device)
        for widget in widgets:
            widget.blockSignals(True)
        self.renderer.setCurrentText(project.render.renderer)
        self.width_box.setValue(project.width)
        self.height_box.setValue(project.height)
        self.fps_box.setValue(project.fps)
        self.seed_box.setValue(min(project.seed, 2**31 - 1))
        self._show_preset(project.style_preset)
        settings = project.render.diffusion
        self.model.setCurrentIndex(self.model.findData(settings.model))
        self.model.setToolTip(self.model.currentData(Qt.ToolTipRole) or "")
        self.models_dir.set_path(settings.models_dir or "")
        self.steps.setValue(settings.steps)
        self.strength.setValue(settings.strength)
        self.device.setCurrentText(settings.device)
        self.cache.setChecked(settings.cache)
        self.diffusion_group.setEnabled(project.render.renderer == "diffusion")
        for widget in widgets:
            widget.blockSignals(False)

    def _show_preset(self, name: str) -> None:
        """Built-in styles by name; a user's preset file by its stem, the path kept as data."""
        self.preset.clear()
        for builtin in STYLE_PRESETS:
            self.preset.addItem(builtin, builtin)
        if name not in STYLE_PRESETS:
            self.preset.addItem(f"{Path(name).stem} (file)", name)
        self.preset.setCurrentIndex(self.preset.findData(name))
