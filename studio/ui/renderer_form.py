"""One renderer's settings in the inspector, made from what its kind declares.

Each Setting of a RendererKind (studio.render.registry) becomes a field of its type: a whole or
decimal number box in its range, a check box, a list of its choices (with their labels and
tips), or a folder with a Choose… button. Nothing here names a renderer: a new renderer's
settings appear by declaring them. Like the inspector, the form edits nothing itself: a change
leaves as `changed("render.<renderer>.<setting>", value)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QPushButton, QSizePolicy,
    QWidget,
)

from studio.render.registry import RendererKind, Setting
from studio.ui.fields import ElidedPath, double_box, form_layout, shrinkable, whole_box
from studio.ui.file_dialogs import take_back_keyboard

MAX_SPIN = 2**31 - 1  # a QSpinBox holds a C int


class RendererForm(QGroupBox):
    changed = Signal(str, object)  # "render.<renderer>.<setting>", value

    def __init__(self, kind: RendererKind, parent: QWidget | None = None) -> None:
        super().__init__(kind.label[:1].upper() + kind.label[1:], parent)
        self.kind = kind
        self.fields: dict[str, QWidget] = {}  # setting name -> its field (the path, for a folder)
        self.choose_buttons: dict[str, QPushButton] = {}
        form = form_layout(self)
        for setting in kind.settings:
            if setting.type == "bool":
                # a check box says what it does across the whole row; its setting's name is
                # in the tooltip (a label beside it cut both short in the dock's width)
                form.addRow(self._field(setting))
            else:
                form.addRow(setting.label, self._field(setting))

    def name_of(self, setting: Setting) -> str:
        return f"render.{self.kind.name}.{setting.name}"

    # -- building ------------------------------------------------------------------------------
    def _field(self, setting: Setting) -> QWidget:
        """The field for one setting, wired to `changed`; returns what goes in the form row."""
        emit = lambda value, s=setting: self.changed.emit(self.name_of(s), value)  # noqa: E731
        if setting.type == "int":
            low, high = setting.bounds()
            box = whole_box(int(max(low, -MAX_SPIN)), int(min(high, MAX_SPIN)),
                            step=int(setting.step))
            box.valueChanged.connect(lambda value: emit(int(value)))
            widget: QWidget = box
        elif setting.type == "float":
            low, high = setting.bounds()
            box = double_box(low + setting.step if setting.above_minimum else low, high,
                             setting.default, setting.step)
            box.valueChanged.connect(lambda value: emit(float(value)))
            widget = box
        elif setting.type == "bool":
            box = QCheckBox(setting.text)
            box.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)  # as wide as its words
            box.toggled.connect(lambda on: emit(bool(on)))
            widget = box
        elif setting.type == "folder":
            return self._folder(setting, emit)
        else:  # "choice", or "text" with values to offer
            combo = QComboBox()  # the values as item data: a label may say more
            labels = setting.choice_labels() if setting.choice_labels else {}
            for value in (setting.choices() if setting.choices else [setting.default]):
                label, tip = labels.get(value, (value, ""))
                combo.addItem(label, value)
                if tip:
                    combo.setItemData(combo.count() - 1, tip, Qt.ToolTipRole)
            combo.activated.connect(lambda _=0, c=combo: emit(c.currentData()))
            widget = combo
        tip = setting.help[:1].upper() + setting.help[1:]
        widget.setToolTip(f"{setting.label}: {tip}" if setting.type == "bool" else tip)
        self.fields[setting.name] = widget
        return shrinkable(widget) if not isinstance(widget, QCheckBox) else widget

    def _folder(self, setting: Setting, emit) -> QWidget:
        path = ElidedPath("default", setting.help[:1].upper() + setting.help[1:])
        button = QPushButton("Choose…")
        button.setToolTip(f"Choose the {setting.label.lower()}")
        button.clicked.connect(lambda: self._choose_folder(setting, path, emit))
        row = QWidget()
        row.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(path, 1)
        layout.addWidget(button)
        self.fields[setting.name] = path
        self.choose_buttons[setting.name] = button
        return row

    def _choose_folder(self, setting: Setting, path: ElidedPath, emit) -> None:
        """The folder picker; the window checks the folder and refuses an unusable one."""
        start = path.path() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, setting.label, start)
        take_back_keyboard(self)
        if chosen:
            emit(chosen)

    # -- showing -------------------------------------------------------------------------------
    def show_values(self, values: dict[str, Any]) -> None:
        """Show the renderer's settings (defaults filled in) without emitting `changed`."""
        for setting in self.kind.settings:
            widget = self.fields[setting.name]
            value = values.get(setting.name, setting.default)
            widget.blockSignals(True)
            if isinstance(widget, ElidedPath):
                widget.set_path(value or "")
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                index = widget.findData(value)
                if index < 0:  # a value the list does not offer (a device such as cuda:1)
                    widget.addItem(str(value), value)
                    index = widget.count() - 1
                widget.setCurrentIndex(index)
                tip = widget.currentData(Qt.ToolTipRole)
                widget.setToolTip(tip or setting.help[:1].upper() + setting.help[1:])
            else:
                widget.setValue(value)
            widget.blockSignals(False)
