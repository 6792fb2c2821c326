"""The media/project panel: what the project is made of, and buttons to replace each input."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.analysis.face_rig import FaceRig
from studio.doc.project import Project
from studio.ui.viewport import to_qimage


class MediaPanel(QWidget):
    openRequested = Signal(str)  # "portrait" or "audio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        self.thumbnail = QLabel("No portrait")
        self.thumbnail.setAlignment(Qt.AlignCenter)
        self.thumbnail.setFixedHeight(170)
        self.thumbnail.setStyleSheet("background: #17181a; border-radius: 4px;")
        layout.addWidget(self.thumbnail)
        form = QFormLayout()
        self.portrait = QLabel("—")
        self.audio = QLabel("—")
        self.duration = QLabel("—")
        self.frames = QLabel("—")
        for label in (self.portrait, self.audio):
            label.setWordWrap(True)
        form.addRow("Portrait", self.portrait)
        form.addRow("Voice", self.audio)
        form.addRow("Length", self.duration)
        form.addRow("Frames", self.frames)
        layout.addLayout(form)
        for kind in ("portrait", "audio"):
            button = QPushButton(f"Choose {'portrait' if kind == 'portrait' else 'voice clip'}…")
            button.clicked.connect(lambda _=False, k=kind: self.openRequested.emit(k))
            layout.addWidget(button)
        layout.addStretch(1)

    def show_project(self, project: Project, rig: FaceRig | None) -> None:
        self.portrait.setText(Path(project.portrait).name if project.portrait else "—")
        self.audio.setText(Path(project.audio).name if project.audio else "—")
        self.duration.setText(f"{project.duration:.2f} s" if project.duration else "—")
        self.frames.setText(f"{project.frame_count()} at {project.fps} fps")
        if rig is None:
            self.thumbnail.setPixmap(QPixmap())
            self.thumbnail.setText("No portrait")
            return
        pixmap = QPixmap.fromImage(to_qimage(rig.image))
        self.thumbnail.setPixmap(pixmap.scaled(self.thumbnail.width() or 180, 160,
                                               Qt.KeepAspectRatio, Qt.SmoothTransformation))
