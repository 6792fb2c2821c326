"""The media/project panel: what the project is made of, buttons to replace each input, and
the transcript lip sync aligns to."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFormLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

from studio.analysis.face_rig import FaceRig
from studio.doc.project import Project
from studio.ui.viewport import to_qimage


class MediaPanel(QWidget):
    openRequested = Signal(str)  # "portrait" or "audio"
    transcriptApplied = Signal(str)  # the text typed, to store and lip-sync to

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
        layout.addWidget(QLabel("Transcript"))
        self.transcript = QPlainTextEdit()
        self.transcript.setPlaceholderText("What the voice says: lip sync follows the words")
        self.transcript.setFixedHeight(90)
        layout.addWidget(self.transcript)
        self.apply_transcript = QPushButton("Apply (re-run lip sync)")
        self.apply_transcript.setToolTip("Lip sync aligned to the transcript replaces the "
                                         "automatic visemes; the ones you chose stay")
        self.apply_transcript.clicked.connect(
            lambda: self.transcriptApplied.emit(self.transcript.toPlainText()))
        layout.addWidget(self.apply_transcript)
        self._shown_transcript: str | None = None
        layout.addStretch(1)

    def show_project(self, project: Project, rig: FaceRig | None) -> None:
        self.portrait.setText(Path(project.portrait).name if project.portrait else "—")
        self.audio.setText(Path(project.audio).name if project.audio else "—")
        self.duration.setText(f"{project.duration:.2f} s" if project.duration else "—")
        self.frames.setText(f"{project.frame_count()} at {project.fps} fps")
        if project.transcript != self._shown_transcript:  # typing not yet applied stays
            self._shown_transcript = project.transcript
            self.transcript.setPlainText(project.transcript or "")
        if rig is None:
            self.thumbnail.setPixmap(QPixmap())
            self.thumbnail.setText("No portrait")
            return
        pixmap = QPixmap.fromImage(to_qimage(rig.image))
        self.thumbnail.setPixmap(pixmap.scaled(self.thumbnail.width() or 180, 160,
                                               Qt.KeepAspectRatio, Qt.SmoothTransformation))
