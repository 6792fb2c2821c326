"""The playhead and the J/K/L transport: stepping, playing, shuttling at doubled speeds."""

from __future__ import annotations

from studio.ui import commands
from studio.ui.media import PLAYBACK_RATE, audio_key


class Transport:
    """MainWindow's playhead moves and playback with sound."""

    def set_frame(self, frame: int) -> None:
        frame = min(max(int(frame), 0), self.doc.project.frame_count() - 1)
        self.frame = frame
        self.timeline.set_frame(frame)
        self._update_frame_label()
        self.request_preview()

    def step(self, frames: int) -> None:
        self.playback.stop()
        self.set_frame(self.frame + frames)

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
        project = self.doc.project
        analysis = self.audio.get(audio_key(project))
        samples = analysis.playback if analysis is not None else None
        self.playback.configure(project.fps, project.frame_count(), samples, PLAYBACK_RATE)
        self.playback.play(self.frame, speed)

    def pause_or_add_key(self) -> None:
        """K pauses while playing (J/K/L transport) and adds a key at the playhead when stopped."""
        if self.playback.playing:
            self.playback.stop()
            return
        track, field = self.timeline.active
        t = self.frame / self.doc.project.fps
        self._push(commands.add_key_command(self.doc, track, field, t))

    def _play_frame(self, frame: int) -> None:
        self.frame = frame
        self.timeline.set_frame(frame)
        self._update_frame_label()
        cached = self.worker.peek(frame)
        if cached is not None and not self.actions_by_name["overlay_landmarks"].isChecked():
            self.viewport.show_frame(cached)
            self.frameShown.emit(frame)
            if frame % 10 == 0:  # keep the render-ahead window moving with the playhead
                self.request_preview()
        else:
            self.request_preview()
