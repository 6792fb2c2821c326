"""What the window tells the user, and the hand-over from worker threads to the window's thread.

`Notices`: a dialog for what could not be done (the project is untouched), the status bar for the
rest. `ToUiThread`: results of background work are posted to the UI thread as closures.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from studio.ui.help import APP_NAME


class Notices(QObject):
    """Error dialogs over `window` and messages in its status bar."""

    errorShown = Signal(str)  # the message of a dialog saying something could not be done

    def __init__(self, window: QWidget, status_bar: QStatusBar) -> None:
        super().__init__(window)
        self.window = window
        self.status_bar = status_bar
        self.error_box: QMessageBox | None = None  # the last error dialog
        self._standing = ""  # the last standing line (standing())
        # a message longer than the room left of the frame counter is cut there: the whole
        # of it shows when the pointer rests on the status bar
        status_bar.messageChanged.connect(lambda text: status_bar.setToolTip(text))

    def error(self, message: str) -> None:
        """A clear, non-blocking message; the project is untouched."""
        box = QMessageBox(QMessageBox.Warning, APP_NAME, message, QMessageBox.Ok, self.window)
        self.error_box = box
        box.open()
        self.errorShown.emit(message)

    def status(self, text: str, ms: int = 0) -> None:
        self.status_bar.showMessage(text, ms)

    def clear_status(self) -> None:
        self.status_bar.clearMessage()

    def standing(self, text: str) -> None:
        """A line that holds while its cause does (a renderer's notice): shown until another
        message replaces it; "" takes the last one away if it is still showing."""
        if text:
            self.status(text)
        elif self._standing and self.status_bar.currentMessage() == self._standing:
            self.clear_status()
        self._standing = text


class ToUiThread(QObject):
    """Queued hand-over from worker threads: `post(fn)` runs `fn` on the thread that made this."""

    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(lambda fn: fn(), Qt.QueuedConnection)

    def post(self, fn) -> None:
        self._call.emit(fn)
