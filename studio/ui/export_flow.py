"""Export: the dialog, a background export of a snapshot of the project, progress and its end.

The project is copied when the export starts, so editing on while it runs changes nothing in the
video being written.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from studio.doc.errors import InputError
from studio.jobs.export import ExportSettings, run_export
from studio.ui.export_dialog import ExportDialog
from studio.ui.help import APP_NAME
from studio.ui.media import audio_key

logger = logging.getLogger(__name__)


class ExportFlow:
    """MainWindow's export: started from the dialog, followed in the status bar, cancellable."""

    def export_dialog(self) -> None:
        project = self.doc.project
        if project.portrait is None or project.portrait not in self.rigs:
            self.show_error("nothing to export yet: drop a portrait and a voice clip first")
            return
        folder = self.doc.path.parent if self.doc.path else Path.home()
        dialog = ExportDialog(project, folder / f"{self.doc.name}.mp4", self)
        self.last_export_dialog = dialog
        dialog.accepted.connect(lambda: self.start_export(dialog.settings()))
        dialog.open()

    def start_export(self, settings: ExportSettings) -> None:
        self.autosave_now(wait=True)
        project = copy.deepcopy(self.doc.project)
        rig = self.rigs[project.portrait]
        analysis = self.audio.get(audio_key(project))
        performance = analysis.performance if analysis else None
        visemes = analysis.visemes if analysis else None
        self.export_progress.start(settings.path.name)

        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                self._bridge.call.emit(lambda: self.export_progress.update_progress(done, total))

        def work(token):
            return run_export(project, rig, settings, token, progress, performance, visemes)

        self._export_task = self.tasks.start(
            "export", work,
            on_done=lambda path: self._bridge.call.emit(lambda: self._export_done(path)),
            on_error=lambda e: self._bridge.call.emit(lambda: self._export_failed(e)),
            on_cancelled=lambda: self._bridge.call.emit(self._export_cancelled),
        )
        self._update_actions()

    def cancel_export(self) -> None:
        if self._export_task is not None:
            self._export_task.cancel()

    def _export_finished(self) -> None:
        self._export_task = None
        self.export_progress.hide()
        self._update_actions()

    def _export_done(self, path: Path) -> None:
        self._export_finished()
        box = QMessageBox(QMessageBox.Information, APP_NAME, f"Exported {path.name}",
                          QMessageBox.Ok, self)
        box.setInformativeText(str(path))
        show = box.addButton("Show in Folder", QMessageBox.ActionRole)
        show.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(
            str(path if path.is_dir() else path.parent))))
        box.setModal(False)
        self.notification = box
        box.show()
        self.statusBar().showMessage(f"Exported {path}", 8000)
        self.exportFinished.emit(path)

    def _export_failed(self, error: BaseException) -> None:
        self._export_finished()
        if not isinstance(error, InputError):
            logger.error("export failed", exc_info=error)
        self.show_error(f"Export failed: {error}")
        self.exportFinished.emit(None)

    def _export_cancelled(self) -> None:
        self._export_finished()
        self.statusBar().showMessage("Export cancelled", 5000)
        self.exportFinished.emit(None)
