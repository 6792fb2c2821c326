"""Latency of the real studio window: key drag -> frame shown, and event-loop stalls.

Drives the application offscreen on the bundled sample with the mesh renderer at 512x512:
- a head-yaw key at the playhead is dragged by synthetic mouse moves; each move's latency is
  the time until the viewport shows the frame rendered from that move (target 50 ms);
- a 2 ms probe timer records the longest gap in the event loop during playback, scrubbing
  (preview) and an export running in the background (target < 100 ms);
- the time from dropping the portrait and voice clip to the first talking frame on screen, with
  the portrait-analysis cache cold (first drop of this photo in a fresh process: the window's
  start-up warm-up has had only the 0.3 s between showing the window and the drop to load
  MediaPipe) and warm (target 2 s), and the steps of a warm drop one by one (the renderer is
  prepared beside the voice decode, so the drop costs less than their sum).
Prints one ratio to target per line (< 1.0 meets it). Run:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_ui_latency.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.resources import SAMPLES_DIR  # noqa: E402
from studio.ui.app import make_application  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.timeline.keys import KeyRef  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = SAMPLES_DIR
DRAG_TARGET_MS = 50.0
STALL_TARGET_MS = 100.0
FIRST_FRAME_TARGET_S = 2.0


def wait_for(signal, timeout_ms: int = 180_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def spin(app: QApplication, seconds: float, until=None) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not (until and until()):
        app.processEvents(QEventLoop.AllEvents, 5)


class StallProbe:
    """Longest interval between ticks of a 2 ms timer: how long the loop could not react."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0

    def start(self) -> None:
        self.worst = 0.0
        self.clock.start()
        self.timer.start(2)

    def _tick(self) -> None:
        self.worst = max(self.worst, self.clock.restart())

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def send_mouse(widget, kind, pos: QPointF, buttons) -> None:
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.LeftButton, buttons,
                        Qt.ShiftModifier)
    QApplication.sendEvent(widget, event)


def drag_latencies(app: QApplication, window: MainWindow, moves: int = 40) -> list[float]:
    timeline = window.timeline
    view = timeline.view.viewport()
    start = QPointF(timeline.key_scene_pos(KeyRef("head_yaw", 1)))
    send_mouse(view, QEvent.MouseButtonPress, start, Qt.LeftButton)
    send_mouse(view, QEvent.MouseMove, start + QPointF(0, -8.0), Qt.LeftButton)  # past the
    spin(app, 0.2)  # drag threshold, so every measured move is a drag step
    before = window.worker.generation
    latencies = []
    for i in range(1, moves + 1):
        pos = start + QPointF(0, -8.0 - 2.0 * (i if i <= moves // 2 else moves - i))
        requested = window.worker.generation
        began = time.perf_counter()
        send_mouse(view, QEvent.MouseMove, pos, Qt.LeftButton)
        # the window asks for the frame once per event-loop turn (mouse moves are coalesced)
        spin(app, 2.0, until=lambda: window.worker.generation > requested)
        target = window.worker.generation
        spin(app, 2.0, until=lambda: window.preview.shown_generation >= target)
        latencies.append((time.perf_counter() - began) * 1000)
    send_mouse(view, QEvent.MouseButtonRelease, start, Qt.NoButton)
    if window.worker.generation - before < moves:
        raise RuntimeError("the drag did not reach the key: no preview requests were made")
    return latencies


def drop_to_first_frame(app: QApplication) -> tuple[MainWindow, float]:
    """Seconds from the drop to the first frame of the new project in the viewport; returns
    once the lip-sync pass has finished too."""
    window = MainWindow(QSettings(tempfile.mktemp(suffix=".ini"), QSettings.IniFormat))
    window.resize(1440, 900)
    window.show()
    spin(app, 0.3)
    finished = []
    window.analysisFinished.connect(lambda: finished.append(True))
    began = time.perf_counter()
    window.open_paths([SAMPLES / "portrait.jpg", SAMPLES / "speech.wav"])
    spin(app, 60.0, until=lambda: window.project.audio is not None
         and window.viewport.frames_shown > 0)
    elapsed = time.perf_counter() - began
    spin(app, 180.0, until=lambda: bool(finished))
    return window, elapsed


def phases() -> list[tuple[str, float]]:
    """The steps of a warm drop, timed one by one on this thread."""
    from studio.analysis.face_rig import FaceRig  # noqa: F401 (imported before timing)
    from studio.jobs import CancelToken
    from studio.render.mesh import MeshRenderer
    from studio.ui.media import analyze_portrait_file, quick_audio
    from studio.conditioning.control_frame import ControlFrame

    token = CancelToken()
    timed = []
    began = time.perf_counter()
    rig = analyze_portrait_file(SAMPLES / "portrait.jpg", token)
    timed.append(("portrait analysis (cached)", time.perf_counter() - began))
    began = time.perf_counter()
    quick_audio(SAMPLES / "speech.wav", 25, token)
    timed.append(("voice decode + loudness", time.perf_counter() - began))
    renderer = MeshRenderer()
    began = time.perf_counter()
    renderer.prepare(rig, 512, 512)
    timed.append(("mesh renderer prepare (beside the voice decode)", time.perf_counter() - began))
    began = time.perf_counter()
    renderer.render(ControlFrame())
    timed.append(("first render", time.perf_counter() - began))
    return timed


def main() -> int:
    app = make_application()
    os.environ["STUDIO_CACHE_DIR"] = tempfile.mkdtemp(prefix="studio-bench-cache-")
    cold_window, cold = drop_to_first_frame(app)
    close(cold_window)
    window, warm = drop_to_first_frame(app)
    playhead = 100
    add = window.timeline.keyAddRequested.emit
    add("head_yaw", "v", 0.0, 0.0)
    add("head_yaw", "v", playhead / window.project.fps, 0.0)
    window.set_frame(playhead)
    window.worker.wait_idle(30)
    spin(app, 0.5)

    latencies = drag_latencies(app, window)
    median = statistics.median(latencies)
    p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]

    probe = StallProbe()
    probe.start()
    window.set_frame(0)
    window.transport.toggle_play()
    spin(app, 5.0)
    window.transport.toggle_play()
    playback_stall = probe.stop()

    probe.start()
    for frame in range(0, 300, 3):  # scrubbing: every request supersedes the previous one
        window.set_frame(frame)
        spin(app, 0.01)
    window.worker.wait_idle(30)
    preview_stall = probe.stop()

    out = Path(tempfile.mkdtemp()) / "bench.mp4"
    probe.start()
    window.exporter.start_export(export_settings(window, out))
    wait_for(window.exportFinished)
    export_stall = probe.stop()

    print(f"machine: {os.cpu_count()} cpus; mesh renderer {window.project.width}x"
          f"{window.project.height}")
    for name, seconds in (("cold portrait cache", cold), ("warm portrait cache", warm)):
        print(f"drop -> first talking frame, {name}: {seconds:.2f} s / target "
              f"{FIRST_FRAME_TARGET_S:.0f} s: ratio {seconds / FIRST_FRAME_TARGET_S:.2f}")
    for name, seconds in phases():
        print(f"  of which {name}: {seconds * 1000:.0f} ms")
    print(f"key drag -> frame shown, median {median:.1f} ms / target {DRAG_TARGET_MS:.0f} ms: "
          f"ratio {median / DRAG_TARGET_MS:.2f} (p95 {p95:.1f} ms, ratio {p95 / DRAG_TARGET_MS:.2f})")
    for name, stall in (("playback", playback_stall), ("preview scrubbing", preview_stall),
                        ("export", export_stall)):
        print(f"longest event-loop stall during {name}: {stall:.0f} ms / target "
              f"{STALL_TARGET_MS:.0f} ms: ratio {stall / STALL_TARGET_MS:.2f}")
    close(window)
    return 0


def close(window: MainWindow) -> None:
    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def export_settings(window: MainWindow, out: Path):
    from studio.jobs.export import ExportSettings

    project = window.project
    return ExportSettings(out, "mp4", project.width, project.height, project.fps, 0,
                          project.frame_count() - 1)


if __name__ == "__main__":
    sys.exit(main())
