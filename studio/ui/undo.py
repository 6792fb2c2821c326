"""The window's undo stack: undo and redo of a several-command step redraw the views once.

A macro's undo runs each child command's undo in turn, and each one announces its change to the
document; without a batch around the whole step the timeline would be redrawn once per command
(tens of milliseconds apiece). QUndoStack has no signal before it starts, so the stack itself
wraps undo() and redo(), and the Undo/Redo actions are pointed at those wrappers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoStack


class BatchedUndoStack(QUndoStack):
    """A QUndoStack whose undo() and redo() run inside `batch()` (one view refresh at its end)."""

    def __init__(self, batch: Callable[[], AbstractContextManager], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self._batch = batch

    def undo(self) -> None:
        with self._batch():
            super().undo()

    def redo(self) -> None:
        with self._batch():
            super().redo()

    def create_actions(self, parent: QObject) -> tuple[QAction, QAction]:
        """Undo and Redo actions that keep QUndoStack's live texts ("Undo Move key") and enabled
        states but call the batched undo() and redo()."""
        undo = self.createUndoAction(parent, "&Undo")
        redo = self.createRedoAction(parent, "&Redo")
        for action, slot in ((undo, self.undo), (redo, self.redo)):
            action.triggered.disconnect()
            action.triggered.connect(slot)
        return undo, redo
