"""Render README screenshots of the real application into docs/images/.

Runs the real window offscreen (or under `xvfb-run`) on the bundled sample: analysis, lip sync,
preview and dialogs are the application's own. Usage:

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python tools/screenshots.py [--out DIR]
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.doc.project import Blink, EmotionKey, Key, StyleKey  # noqa: E402
from studio.resources import SAMPLES_DIR  # noqa: E402
from studio.ui.app import make_application  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402
from studio.ui.timeline.keys import KeyRef  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = SAMPLES_DIR


def wait_for(signal, timeout_ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def settle(window: MainWindow, app: QApplication) -> None:
    """Let the newest preview arrive and every deferred repaint run."""
    window.worker.wait_idle(30)
    for _ in range(20):
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.resize(1440, 900)
    window.show()
    # the first run: no settings yet, so the window opens on the welcome page
    settle(window, app)
    window.grab().save(str(args.out / "welcome.png"))
    window.open_paths([SAMPLES / "portrait.jpg", SAMPLES / "speech.wav"])
    wait_for(window.analysisFinished)
    # direct the performance a little, as an artist would, through undoable edits
    add = window.timeline.keyAddRequested.emit
    for t, v in ((0.0, 0.0), (3.0, 22.0), (6.5, -8.0), (10.0, 4.0)):
        add("head_yaw", "v", t, v)
    for t, v in ((0.0, 0.0), (4.0, 6.0), (9.0, -4.0)):
        add("head_pitch", "v", t, v)
    for t, v in ((2.0, 0.0), (8.0, -6.0)):
        add("head_roll", "v", t, v)
    add("blinks", "t", 3.0, None)  # eyes shut at the playhead, while the head is turned
    add("gaze", "yaw", 1.0, 0.0)
    add("gaze", "yaw", 5.0, 12.0)
    add("emotion", "intensity", 0.0, 0.3)
    add("emotion", "intensity", 6.0, 0.8)
    add("style", "lip_amplitude", 7.0, 1.4)
    project = window.project
    assert isinstance(project.tracks.head_yaw.keys[0], Key)
    assert all(isinstance(b, Blink) for b in project.tracks.blinks)
    assert all(isinstance(e, EmotionKey) for e in project.tracks.emotion)
    assert all(isinstance(s, StyleKey) for s in project.tracks.style)
    # the window as an artist leaves it mid-edit: a pose key selected, eyes open, mid-word
    window.timeline.set_selection([KeyRef("head_pitch", 1)])
    window.set_frame(100)
    settle(window, app)
    window.grab().save(str(args.out / "studio-main.png"))
    window.timeline.set_selection([KeyRef("head_yaw", 1)])
    window.set_frame(75)
    settle(window, app)
    window.viewport.grab().save(str(args.out / "studio-head-turn-blink.png"))

    window.actions_by_name["overlay_landmarks"].trigger()
    window.actions_by_name["overlay_original"].trigger()
    window.actions_by_name["overlay_safe_frame"].trigger()
    settle(window, app)
    window.grab().save(str(args.out / "studio-overlays.png"))
    for name in ("overlay_landmarks", "overlay_original", "overlay_safe_frame"):
        window.actions_by_name[name].trigger()

    window.actions_by_name["export"].trigger()
    dialog = window.last_export_dialog
    dialog.path.setText(str(Path.home() / "Videos" / "speech.mp4"))
    settle(window, app)
    dialog.grab().save(str(args.out / "studio-export.png"))
    dialog.reject()

    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    print("\n".join(str(p) for p in sorted(args.out.glob("studio-*.png"))
                    + [args.out / "welcome.png"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
