"""Entry point of the desktop application: `studio gui [PROJECT]` and `make studio` call run()."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.resources import APP_ICON
from studio.ui.help import APP_NAME
from studio.ui.main_window import MainWindow
from studio.ui.theme import apply_dark_theme


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


def run(project_path: str | None = None) -> int:
    """Open the studio (with a project if given) and run until the window closes."""
    app = make_application()
    window = MainWindow()
    window.show()
    if project_path is not None:
        window.open_project(Path(project_path), confirmed=True)
    else:
        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()
