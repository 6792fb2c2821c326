"""The playhead and the J/K/L transport: stepping, playing, shuttling at doubled speeds."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from studio.ui.editing import DocumentEditing
from studio.ui.media import PLAYBACK_RATE
from studio.ui.playback import Playback
from studio.ui.preview import Preview
from studio.ui.session import Session
from studio.ui.timeline.view import Timeline


class Transport:
    """Playhead moves and playback with sound; the playhead shown on the timeline and in the
    status bar's frame label."""

    def __init__(self, session: Session, playback: Playback, timeline: Timeline,
                 frame_label: QLabel, preview: Preview, editing: DocumentEditing) -> None:
        self.session = session
        self.playback = playback
        self.timeline = timeline
        self.frame_label = frame_label
        self.preview = preview
        self.editing = editing  # K adds a key when stopped

    def set_frame(self, frame: int) -> None:
        frame = min(max(int(frame), 0), self.session.project.frame_count() - 1)
        self._move_to(frame)
        self.preview.request()

    def step(self, frames: int) -> None:
        self.playback.stop()
        self.set_frame(self.session.frame + frames)

    def toggle_play(self) -> None:
        if self.playback.playing:
            self.playback.stop()
        else:
            self.shuttle(1)

    def shuttle(self, direction: int) -> None:
        """J/L: start playing that way; pressed again while playing that way, double the speed."""
        speed = self.playback.speed
        if self.playback.playing and speed * direction > 0:
            speed = max(-8.0, min(8.0, speed * 2))
        else:
            speed = float(direction)
        project = self.session.project
        analysis = self.session.analysis()
        samples = analysis.playback if analysis is not None else None
        self.playback.configure(project.fps, project.frame_count(), samples, PLAYBACK_RATE)
        self.playback.play(self.session.frame, speed)

    def pause_or_add_key(self) -> None:
        """K pauses while playing (J/K/L transport) and adds a key at the playhead when stopped."""
        if self.playback.playing:
            self.playback.stop()
            return
        track, field = self.timeline.active
        self.editing.add_key(track, field, self.session.frame / self.session.project.fps)

    def play_frame(self, frame: int) -> None:
        """Playback reached `frame`."""
        self._move_to(frame)
        self.preview.show_playing(frame)

    def _move_to(self, frame: int) -> None:
        self.session.frame = frame
        self.timeline.set_frame(frame)
        self.show_position()

    def show_position(self) -> None:
        """The playhead in the frame label: frame, seconds and the project's fps."""
        project = self.session.project
        frame = self.session.frame
        self.frame_label.setText(
            f"frame {frame} / {project.frame_count() - 1}  ·  "
            f"{frame / project.fps:6.2f} s  ·  {project.fps} fps")
