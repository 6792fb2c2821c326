"""The export dialog and the progress strip that runs in the status bar while editing goes on."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
    QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton, QSpinBox, QWidget,
)

from studio.doc.io import setting_bounds
from studio.doc.project import Project
from studio.export import FORMATS
from studio.jobs.export import ExportSettings
from studio.ui.fields import WholeNumberBox

# (label, opaque format, transparent format): the label names both, since the transparency
# box switches between them
_CHOICES = (
    ("Video: MP4 (H.264 + AAC), or ProRes 4444 .mov when transparent", "mp4", "mov"),
    ("PNG image sequence (with alpha when transparent)", "png", "png-alpha"),
)


class ExportDialog(QDialog):
    def __init__(self, project: Project, default_path: Path, parent: QWidget | None = None,
                 title: str = "Export", action: str = "Export"):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self._project = project
        form = QFormLayout(self)
        self.format = QComboBox()
        for label, opaque, _ in _CHOICES:
            self.format.addItem(label, opaque)
        self.transparent = QCheckBox("Transparent background (ProRes 4444 .mov / PNG with alpha)")
        self.path = QLineEdit(str(default_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.width_box = self._spin(*setting_bounds("width"), project.width)
        self.height_box = self._spin(*setting_bounds("height"), project.height)
        size = QHBoxLayout()
        size.addWidget(self.width_box, 1)  # the fields share the row; the labels stay narrow
        size.addWidget(QLabel("×"))
        size.addWidget(self.height_box, 1)
        self.fps = self._spin(*setting_bounds("fps"), project.fps)
        self.start = self._spin(0, project.frame_count() - 1, 0)
        self.end = self._spin(0, project.frame_count() - 1, project.frame_count() - 1)
        frames = QHBoxLayout()
        frames.addWidget(self.start, 1)
        frames.addWidget(QLabel("to"))
        frames.addWidget(self.end, 1)
        self.summary = QLabel()
        form.addRow("Format", self.format)
        form.addRow("", self.transparent)
        form.addRow("Output", row)
        form.addRow("Size", size)
        form.addRow("Frame rate", self.fps)
        form.addRow("Frames", frames)
        form.addRow("", self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = buttons.button(QDialogButtonBox.Ok)
        self.ok.setText(action)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        # the file's name follows the format, also when typed: a ProRes .mov never gets a
        # .mp4 name
        for signal in (self.format.currentIndexChanged, self.transparent.toggled,
                       self.path.editingFinished):
            signal.connect(self._format_changed)
        for box in (self.fps, self.start, self.end):
            box.valueChanged.connect(self._update_summary)
        self._fps_seen = project.fps
        self._format_changed()

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        box = WholeNumberBox()
        box.setRange(low, high)
        box.setValue(value)
        return box

    def format_name(self) -> str:
        _, opaque, transparent = _CHOICES[self.format.currentIndex()]
        return transparent if self.transparent.isChecked() else opaque

    def _format_changed(self) -> None:
        fmt = FORMATS[self.format_name()]
        path = Path(self.path.text())
        stem = path.with_suffix("") if path.suffix else path
        self.path.setText(str(stem.with_suffix(fmt.suffix) if fmt.suffix else stem))
        self._update_summary()

    def _update_summary(self) -> None:
        if self.fps.value() != self._fps_seen:
            # a new frame rate rescales the range so it covers the same seconds
            ratio = self.fps.value() / self._fps_seen
            self._fps_seen = self.fps.value()
            last = max(1, round(self._project.duration * self.fps.value()) if
                       self._project.duration > 0 else 1) - 1
            for box in (self.start, self.end):
                box.blockSignals(True)
                box.setMaximum(last)
                box.setValue(min(round(box.value() * ratio), last))
                box.blockSignals(False)
        count = self.end.value() - self.start.value() + 1
        fmt = FORMATS[self.format_name()]
        self.ok.setEnabled(count > 0)
        if count > 0:
            self.summary.setText(
                f"{count} frames · {count / self.fps.value():.2f} s · {fmt.description}")
        else:
            self.summary.setText(f"The last frame ({self.end.value()}) is before the first "
                                 f"({self.start.value()}): nothing to {self.ok.text().lower()}")

    def _browse(self) -> None:
        # Export asks before replacing an existing output (accept): the file dialog does not too
        fmt = FORMATS[self.format_name()]
        if fmt.is_sequence:
            chosen = QFileDialog.getSaveFileName(self, "Export frames to folder", self.path.text(),
                                                 options=QFileDialog.DontConfirmOverwrite)[0]
        else:
            chosen = QFileDialog.getSaveFileName(self, "Export video", self.path.text(),
                                                 f"Video (*{fmt.suffix})",
                                                 options=QFileDialog.DontConfirmOverwrite)[0]
        if chosen:
            self.path.setText(chosen)
            self._format_changed()

    def accept(self) -> None:
        """Export, once the user agreed to replace what is already at the output path; No
        leaves the dialog open to choose another."""
        if not self.ok.isEnabled():
            return  # Enter in a field with the range reversed
        path = self.settings().path
        if _occupied(path) and QMessageBox.question(
                self, "Export", f"{path.name} already exists. Replace it?",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return
        super().accept()

    def resume(self, previous: ExportSettings, frame_count: int) -> None:
        """Start from the settings this document's last export was accepted with (its
        `frame_count` frames then at its rate): the same file, format, size and rate, and the
        same frames, or the whole clip again when the last export took the whole clip."""
        for index, (_, opaque, transparent) in enumerate(_CHOICES):
            if previous.format in (opaque, transparent):
                self.format.setCurrentIndex(index)
                self.transparent.setChecked(previous.format == transparent)
        self.width_box.setValue(previous.width)
        self.height_box.setValue(previous.height)
        self.fps.setValue(previous.fps)  # rescales the range to the rate (_update_summary)
        whole = previous.start == 0 and previous.end >= frame_count - 1
        self.start.setValue(0 if whole else previous.start)
        self.end.setValue(self.end.maximum() if whole else previous.end)
        self.path.setText(str(previous.path))
        self._format_changed()

    def settings(self) -> ExportSettings:
        return ExportSettings(
            path=Path(self.path.text()).expanduser(), format=self.format_name(),
            width=self.width_box.value(), height=self.height_box.value(), fps=self.fps.value(),
            start=self.start.value(), end=self.end.value(),
        )


def _occupied(path: Path) -> bool:
    """Whether an export would replace something there: a file, or a folder that is not empty."""
    return path.is_file() or path.is_dir() and any(path.iterdir())


class ExportProgress(QWidget):
    """Progress bar, time left and a cancel button, shown in the status bar during an export."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Exporting…")
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancelRequested)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._started = time.monotonic()

    def start(self, name: str) -> None:
        self._started = time.monotonic()
        self._name = name
        self.bar.setRange(0, 0)
        self.label.setText(f"Exporting {name}…")
        self.show()

    def update_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        elapsed = time.monotonic() - self._started
        left = elapsed / done * (total - done) if done else 0.0
        self.label.setText(f"Exporting {self._name}: {done}/{total} · {left:.0f} s left")


def dialog_for(session, notices, parent: QWidget, purpose: str, title: str = "Export",
               action: str = "Export") -> ExportDialog | None:
    """The export dialog for the session's project, next to its file, or None after a message
    when there is nothing to `purpose` yet (no analysed portrait): Export and Add to Render
    Queue both start here."""
    doc = session.doc
    project = doc.project
    if project.portrait is None or project.portrait not in session.rigs:
        notices.error(f"nothing to {purpose} yet: drop a portrait and a voice clip first")
        return None
    folder = doc.path.parent if doc.path else Path.home()
    dialog = ExportDialog(project, folder / f"{doc.name}.mp4", parent, title, action)
    if session.last_export is not None:
        dialog.resume(*session.last_export)
    dialog.accepted.connect(lambda: setattr(
        session, "last_export", (dialog.settings(), dialog.end.maximum() + 1)))
    return dialog
