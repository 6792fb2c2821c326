"""Opening and closing the studio's main window in GUI tests, shared by the test modules."""

from __future__ import annotations

import gc
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from studio.ui.app import make_application
from studio.ui.main_window import MainWindow


def fresh_settings(folder: Path) -> QSettings:
    """Settings of a first run, in a file of the test's own: nothing from the user's studio."""
    QStandardPaths.setTestModeEnabled(True)
    return QSettings(str(folder / "settings.ini"), QSettings.IniFormat)


def make_window(qtbot, settings: QSettings) -> MainWindow:
    make_application()  # themed, with the application's name and icon, as `studio gui`
    window = MainWindow(settings)
    window.show()
    qtbot.waitExposed(window)
    return window


def close_window(window: MainWindow) -> None:
    """Close and destroy now, while Qt is alive, rather than at interpreter exit."""
    if not shiboken6.isValid(window):
        return
    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    gc.collect()
