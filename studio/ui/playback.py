"""Playback at the project fps, with the voice through sounddevice when there is a sound card.

The audio stream's own clock drives the playhead while sound plays, so picture follows sound
rather than drifting against it; without sound a monotonic timer does. sounddevice is imported
only when playback starts: it raises OSError without the PortAudio library and PortAudioError
without a device, and either way playback goes on silently with one message.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal


@functools.cache
def sound_library_problem() -> str | None:
    """Why sounddevice cannot load, or None. Cached: Python retries a failed import every time
    (about 70 ms here), and the window calls this first from a background task."""
    try:
        import sounddevice  # noqa: F401
    except OSError as error:
        return f"Playing without sound: {error} (install PortAudio, e.g. libportaudio2)"
    return None


class AudioOutput:
    """A sound-card stream over a mono float32 buffer, started at any sample."""

    def __init__(self) -> None:
        self._stream = None
        self._samples: np.ndarray | None = None
        self._rate = 0
        self._cursor = 0
        self._lock = threading.Lock()

    def start(self, samples: np.ndarray, rate: int, start_seconds: float) -> str | None:
        """Start playing; returns why not (a one-line message) if there is no sound."""
        self.stop()
        problem = sound_library_problem()
        if problem is not None:
            return problem
        import sounddevice

        self._samples = samples
        self._rate = rate
        self._cursor = int(start_seconds * rate)
        try:
            self._stream = sounddevice.OutputStream(
                samplerate=rate, channels=1, dtype="float32", callback=self._fill)
            self._stream.start()
        except sounddevice.PortAudioError as error:
            self._stream = None
            return f"Playing without sound: no audio output device ({error})"
        return None

    def _fill(self, out, frames, time, status) -> None:
        with self._lock:
            chunk = self._samples[self._cursor:self._cursor + frames]
            self._cursor += frames
        out[: len(chunk), 0] = chunk
        out[len(chunk):, 0] = 0.0

    def position(self) -> float | None:
        """Seconds into the clip of the sample being heard, or None if nothing plays."""
        if self._stream is None:
            return None
        with self._lock:
            cursor = self._cursor
        latency = float(self._stream.latency or 0.0)
        return max(cursor / self._rate - latency, 0.0)

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


class Playback(QObject):
    """Advances the playhead in real time; speed < 0 plays backward (J), silently."""

    frameChanged = Signal(int)
    stateChanged = Signal(bool)
    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.audio = AudioOutput()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._fps = 25
        self._count = 1
        self._start_frame = 0
        self._frame = 0
        self.speed = 0.0
        self._samples: np.ndarray | None = None
        self._rate = 0
        self._told = False

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def configure(self, fps: int, frame_count: int, samples: np.ndarray | None, rate: int) -> None:
        self._fps, self._count = fps, frame_count
        self._samples, self._rate = samples, rate

    def play(self, start_frame: int, speed: float = 1.0) -> None:
        self.stop(emit=False)
        if speed > 0 and start_frame >= self._count - 1:
            start_frame = 0
        self._start_frame = self._frame = start_frame
        self.speed = speed
        if speed == 1.0 and self._samples is not None:
            message = self.audio.start(self._samples, self._rate, start_frame / self._fps)
            if message and not self._told:
                self._told = True
                self.problem.emit(message)
        self._clock.start()
        self._timer.start(max(5, int(500 / self._fps)))
        self.stateChanged.emit(True)

    def stop(self, emit: bool = True) -> None:
        was = self._timer.isActive()
        self._timer.stop()
        self.audio.stop()
        self.speed = 0.0
        if was and emit:
            self.stateChanged.emit(False)

    def _tick(self) -> None:
        heard = self.audio.position() if self.speed == 1.0 else None
        if heard is not None:
            frame = int(heard * self._fps)
        else:
            elapsed = self._clock.elapsed() / 1000.0
            frame = self._start_frame + int(elapsed * self._fps * self.speed)
        end = frame >= self._count - 1 or frame <= 0 and self.speed < 0
        frame = min(max(frame, 0), self._count - 1)
        if frame != self._frame:
            self._frame = frame
            self.frameChanged.emit(frame)
        if end:
            self.stop()
