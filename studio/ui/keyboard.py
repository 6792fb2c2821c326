"""Which keys belong to the window and which to the field that has focus.

Qt gives a focused widget the first say over a key (the ShortcutOverride event): a button takes
Space, a combo box the arrows, a spin box Ctrl+Z. In a studio the transport keys (Space, J/K/L,
arrows, Home/End) play and step wherever the focus is, except where the user is typing; and
Undo/Redo go to a text field only while it has typing of its own to undo, otherwise they undo
the last edit of the project (the value just entered with Enter, say).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget,
)


def text_field(widget: QWidget | None) -> QLineEdit | QTextEdit | QPlainTextEdit | None:
    """The editable text of a widget where the user types, if it is one."""
    if isinstance(widget, QAbstractSpinBox):
        widget = widget.lineEdit()
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)) and not widget.isReadOnly():
        return widget
    return None


def _has_own_undo(field: QLineEdit | QTextEdit | QPlainTextEdit, redo: bool) -> bool:
    if isinstance(field, QLineEdit):
        return field.isRedoAvailable() if redo else field.isUndoAvailable()
    document = field.document()
    return document.isRedoAvailable() if redo else document.isUndoAvailable()


class KeyRouting(QObject):
    """Watches the focused widget of `window` and hands it the window's keys as above.

    `transport` and `history` are the window's actions: the first win over any widget but a
    text field, the second over a text field with nothing of its own to undo or redo.
    `commands` (Save, Export, Quit…) win over every widget: a line edit on Linux takes Ctrl+E
    as "end of line", which left Export dead while a number field had the focus.
    """

    def __init__(self, window: QWidget, transport: list[QAction], history: dict[str, QAction],
                 commands: list[QAction] = ()):
        super().__init__(window)
        self._window = window
        self._transport = [s for a in transport for s in a.shortcuts()]
        self._commands = [s for a in commands for s in a.shortcuts()]
        self._history = {name: action.shortcuts() for name, action in history.items()}
        self._watched: QWidget | None = None
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:  # already deleted
                pass
            self._watched = None
        if new is not None and new.window() is self._window:
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.ShortcutOverride:
            return False
        pressed = QKeySequence(event.keyCombination())
        if pressed in self._commands:
            return self._to_window(event)
        field = text_field(watched)
        if field is None and pressed in self._transport:
            return self._to_window(event)
        for name, sequences in self._history.items():
            if pressed in sequences and (field is None or not _has_own_undo(field, name == "redo")):
                return self._to_window(event)
        return False

    @staticmethod
    def _to_window(event: QEvent) -> bool:
        """The widget never sees the override: Qt then runs the window's shortcut."""
        event.ignore()
        return True
