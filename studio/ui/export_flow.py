"""Export: the dialog, a background export of a snapshot of the project, progress and its end.

The project is copied when the export starts, so editing on while it runs changes nothing in the
video being written.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.doc.errors import InputError
from studio.jobs import TaskRunner
from studio.jobs.export import ExportSettings, run_export
from studio.ui.export_dialog import ExportDialog, ExportProgress, dialog_for
from studio.ui.file_dialogs import reveal_in_file_manager
from studio.ui.help import APP_NAME
from studio.ui.notices import Notices, ToUiThread
from studio.ui.project_files import ProjectFiles
from studio.ui.session import Session

logger = logging.getLogger(__name__)


class ExportFlow(QObject):
    """Export: started from the dialog, followed in the status bar, cancellable."""

    exportFinished = Signal(object)  # Path, or None when cancelled or failed
    runningChanged = Signal()

    def __init__(self, session: Session, window: QWidget, tasks: TaskRunner, to_ui: ToUiThread,
                 notices: Notices, progress: ExportProgress, files: ProjectFiles) -> None:
        super().__init__()
        self.session = session
        self.window = window  # the parent of the export dialog and its notification
        self.tasks = tasks
        self.to_ui = to_ui
        self.notices = notices
        self.progress = progress
        self.files = files  # unsaved work is autosaved before an export starts
        self.last_export_dialog: ExportDialog | None = None
        self.notification: QMessageBox | None = None  # the last "Exported" message
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def export_dialog(self) -> None:
        dialog = dialog_for(self.session, self.notices, self.window, "export")
        if dialog is None:
            return
        self.last_export_dialog = dialog
        dialog.accepted.connect(lambda: self.start_export(dialog.settings()))
        dialog.open()

    def start_export(self, settings: ExportSettings) -> None:
        self.files.autosave_now(wait=True)
        source = self.session.export_source()
        self.progress.start(settings.path.name)

        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                self.to_ui.post(lambda: self.progress.update_progress(done, total))

        def work(token):
            return run_export(source, settings, token, progress)

        self._task = self.tasks.start(
            "export", work,
            on_done=lambda path: self.to_ui.post(lambda: self._export_done(path)),
            on_error=lambda e: self.to_ui.post(lambda: self._export_failed(e)),
            on_cancelled=lambda: self.to_ui.post(self._export_cancelled),
        )
        self.runningChanged.emit()

    def cancel_export(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _export_finished(self) -> None:
        self._task = None
        self.progress.hide()
        self.runningChanged.emit()

    def _export_done(self, path: Path) -> None:
        self._export_finished()
        box = QMessageBox(QMessageBox.Information, APP_NAME, f"Exported {path.name}",
                          QMessageBox.Ok, self.window)
        box.setInformativeText(str(path))
        show = box.addButton("Show in Folder", QMessageBox.ActionRole)
        show.clicked.connect(lambda: reveal_in_file_manager(path, self.notices.status))
        box.setModal(False)
        self.notification = box
        box.show()
        self.notices.status(f"Exported {path}", 8000)
        self.exportFinished.emit(path)

    def _export_failed(self, error: BaseException) -> None:
        self._export_finished()
        if not isinstance(error, InputError):
            logger.error("export failed", exc_info=error)
        self.notices.error(f"Export failed: {error}")
        self.exportFinished.emit(None)

    def _export_cancelled(self) -> None:
        self._export_finished()
        self.notices.status("Export cancelled", 5000)
        self.exportFinished.emit(None)
