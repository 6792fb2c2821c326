"""Entry point of the desktop application: `studio gui [PROJECT]` and `make studio` call run()."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.resources import APP_ICON
from studio.ui.help import APP_NAME
from studio.ui.main_window import MainWindow
from studio.ui.theme import apply_dark_theme

SCREENSHOT_TIMEOUT_S = 150  # the first frame of a project: analysis and the renderer, cold


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    # the Linux .desktop file's id (packaging/), so the desktop matches windows to its icon
    app.setDesktopFileName("talking-portrait-studio")
    app.setWindowIcon(QIcon(str(APP_ICON)))
    app.setOrganizationName("TalkingPortraitStudio")
    app.setOrganizationDomain("talking-portrait-studio.local")
    apply_dark_theme(app)
    return app


def open_studio(project_path: str | Path | None = None, settings: QSettings | None = None,
                offer_recovery: bool = True) -> tuple[MainWindow, bool]:
    """The window as `studio gui [PROJECT]` shows it, and whether the project opened. Work a
    crashed session autosaved is offered either way: for the project when one is given (before
    it opens), otherwise once the event loop runs."""
    window = MainWindow(settings)
    window.show()
    if project_path is None:
        if offer_recovery:
            QTimer.singleShot(0, window.offer_recovery)
        return window, True
    return window, window.open_project(Path(project_path), confirmed=True,
                                       offer_recovery=offer_recovery)


def run(project_path: str | None = None, screenshot: Path | None = None) -> int:
    """Open the studio (with a project if given) and run until the window closes.

    `screenshot` saves a picture of the window and quits, for checks of an installation with
    no person watching (packaging/smoke_test.py): with a project, once its first frame is on
    screen; without one, the welcome page. Exit status 1 when the picture could not be taken.
    """
    app = make_application()
    # a picture for a script never waits on a question nobody is there to answer
    window, opened = open_studio(project_path, offer_recovery=screenshot is None)
    if screenshot is not None:
        return _screenshot(app, window, screenshot, wait_for_frame=project_path is not None,
                           opened=opened)
    return app.exec()


def _screenshot(app: QApplication, window: MainWindow, path: Path, wait_for_frame: bool,
                opened: bool) -> int:
    """Save the window once it shows what it should, then close it the normal way (threads
    joined); no dialog is left waiting for an answer nobody can give."""
    outcome: list[int] = []

    def finish(problem: str | None) -> None:
        if outcome:
            return
        if problem is None:
            picture = window.grab()
            path.parent.mkdir(parents=True, exist_ok=True)
            if picture.save(str(path), "PNG"):
                showing = (f"{window.doc.name}, frame {window.frame}" if wait_for_frame
                           else "the welcome page")
                print(f"saved {path} ({picture.width()}x{picture.height()}, {showing})",
                      file=sys.stderr)
            else:
                problem = f"cannot write the screenshot {path}: check the folder is writable"
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
        outcome.append(0 if problem is None else 1)
        window.undo_stack.setClean()
        window.close()

    if not opened:
        QTimer.singleShot(0, lambda: finish(window.error_box.text() if window.error_box
                                            else "the project did not open"))
    elif wait_for_frame:
        window.frameShown.connect(lambda _index: finish(None))
        window.errorShown.connect(finish)  # the analysis failed, say: no frame will come
        QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, lambda: finish(
            f"no frame within {SCREENSHOT_TIMEOUT_S} s"
            + (f": {window.error_box.text()}" if window.error_box else "")))
    else:
        QTimer.singleShot(0, lambda: finish(None))
    app.exec()
    return outcome[0] if outcome else 1
