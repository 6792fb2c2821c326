"""The render queue: jobs added from the export dialog's settings, rendered one at a time in the
background through the headless engine (the export's own call, studio.jobs.export.run_export)
while the artist keeps editing; a dock lists them with progress, state, Cancel and Reveal.

Each job is a snapshot of the project as it was when it was added, so later edits change
nothing in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QScrollArea, QSizePolicy,
    QVBoxLayout, QWidget,
)

from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs import TaskRunner
from studio.jobs.export import ExportSettings, ExportSource, run_export
from studio.ui.export_dialog import ExportDialog, dialog_for
from studio.ui.file_dialogs import reveal_in_file_manager
from studio.ui.help import APP_NAME
from studio.ui.notices import Notices, ToUiThread
from studio.ui.session import Session

logger = logging.getLogger(__name__)

QUEUED, RENDERING, DONE, FAILED, CANCELLED = "queued", "rendering", "done", "failed", "cancelled"


@dataclass(eq=False)
class QueueJob:
    """One render: the settings and a snapshot of what it renders. Each is itself (compared
    by identity): the same render queued twice is two jobs with a row each."""

    settings: ExportSettings
    source: ExportSource
    state: str = QUEUED
    reason: str = ""  # the one-line reason of a failure
    path: Path | None = None  # the output, once done
    task: object = field(default=None, repr=False)

    @property
    def project(self) -> Project:
        return self.source.project


class JobRow(QWidget):
    """One job of the panel, in two lines that fit the narrow dock beside the inspector: the
    output's name, then its progress, its state and Cancel or Reveal output."""

    def __init__(self, job: QueueJob) -> None:
        super().__init__()
        lines = QVBoxLayout(self)
        lines.setContentsMargins(4, 2, 4, 4)
        lines.setSpacing(2)
        self.name = QLabel(job.settings.path.name)
        self.name.setToolTip(str(job.settings.path))
        # a long name is cut at the panel's edge (whole in the tooltip), never widens the row
        self.name.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.bar = QProgressBar()
        self.bar.setRange(0, job.settings.frame_count)
        self.bar.setValue(0)
        self.bar.setMinimumWidth(60)
        self.state = QLabel()
        self.state.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.cancel = QPushButton("Cancel")
        self.reveal = QPushButton("Reveal")
        self.reveal.setToolTip("Open the output's folder")
        lines.addWidget(self.name)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        for widget in (self.bar, self.state, self.cancel, self.reveal):
            line.addWidget(widget)
        line.setStretch(0, 3)
        line.setStretch(1, 2)
        lines.addLayout(line)
        self.show_job(job)

    def show_job(self, job: QueueJob) -> None:
        text = f"{job.state}: {job.reason}" if job.state == FAILED else job.state
        self.state.setText(text)
        self.state.setToolTip(text)
        self.cancel.setVisible(job.state in (QUEUED, RENDERING))
        self.reveal.setVisible(job.state == DONE)
        if job.state == DONE:
            self.bar.setValue(self.bar.maximum())


class RenderQueuePanel(QWidget):
    """The dock's content: one row per job, newest last."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel("No render jobs. File > Add to Render Queue… adds one.")
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # rows fit the width
        holder = QWidget()
        self.rows_layout = QVBoxLayout(holder)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.addStretch(1)
        scroll.setWidget(holder)
        outer.addWidget(scroll, 1)
        self.scroll = scroll
        self.rows: list[JobRow] = []

    def add_row(self, row: JobRow) -> None:
        self.rows.append(row)
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
        self.empty.hide()
        # the new job in view, once the layout has placed it
        QTimer.singleShot(0, self, lambda: self.scroll.ensureWidgetVisible(row))


class RenderQueue(QObject):
    """The jobs, run one at a time on the task runner; the panel shows them."""

    changed = Signal()  # a job was added or changed state
    dockOpened = Signal()  # a job added showed the hidden dock

    def __init__(self, session: Session, window: QWidget, tasks: TaskRunner, to_ui: ToUiThread,
                 notices: Notices, panel: RenderQueuePanel, dock: QWidget | None = None) -> None:
        super().__init__()
        self.session = session
        self.window = window
        self.tasks = tasks
        self.to_ui = to_ui
        self.notices = notices
        self.panel = panel
        self.dock = dock
        self.jobs: list[QueueJob] = []
        self.last_dialog: ExportDialog | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        """Whether a job is rendering or waiting to."""
        return any(job.state in (QUEUED, RENDERING) for job in self.jobs)

    def add_dialog(self) -> None:
        """The export dialog; its settings and the project as it is now become a job."""
        dialog = dialog_for(self.session, self.notices, self.window, "render",
                            "Add to Render Queue", "Add to Queue")
        if dialog is None:
            return
        self.last_dialog = dialog
        dialog.accepted.connect(lambda: self.add(dialog.settings()))
        dialog.open()

    def add(self, settings: ExportSettings) -> QueueJob:
        job = QueueJob(settings, self.session.export_source())
        self.jobs.append(job)
        row = JobRow(job)
        row.cancel.clicked.connect(lambda: self.cancel(job))
        row.reveal.clicked.connect(lambda: self.reveal(job))
        self.panel.add_row(row)
        if self.dock is not None:
            opened = self.dock.isHidden()
            self.dock.show()
            self.dock.raise_()
            if opened:
                self.dockOpened.emit()
        self.notices.status(f"Queued {settings.path.name}", 5000)
        self._next()
        self.changed.emit()
        return job

    def row(self, job: QueueJob) -> JobRow:
        return self.panel.rows[self.jobs.index(job)]

    def cancel(self, job: QueueJob) -> None:
        if job.state == QUEUED:
            self._set(job, CANCELLED)
        elif job.state == RENDERING and job.task is not None:
            job.task.cancel()  # the task's end says cancelled (or done, if it was the last frame)

    def reveal(self, job: QueueJob) -> None:
        if job.path is not None:
            reveal_in_file_manager(job.path, self.notices.status)

    def confirm_close(self) -> bool:
        """Whether the window may close: asks first while jobs are waiting or rendering."""
        left = [job for job in self.jobs if job.state in (QUEUED, RENDERING)]
        if not left:
            return True
        answer = QMessageBox.question(
            self.window, APP_NAME,
            ("A render job is not finished. Cancel it and close?" if len(left) == 1 else
             f"{len(left)} render jobs are not finished. Cancel them and close?"),
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def shutdown(self) -> None:
        """Cancel every job; nothing more starts (the task runner joins the running one)."""
        self._stopped = True
        for job in self.jobs:
            if job.state == QUEUED:
                job.state = CANCELLED
            elif job.state == RENDERING and job.task is not None:
                job.task.cancel()

    # ---- one job at a time -------------------------------------------------------------------
    def _next(self) -> None:
        if self._stopped or any(job.state == RENDERING for job in self.jobs):
            return
        job = next((j for j in self.jobs if j.state == QUEUED), None)
        if job is None:
            return
        self._set(job, RENDERING)
        bar = self.row(job).bar

        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                self.to_ui.post(lambda: (bar.setRange(0, total), bar.setValue(done)))

        def work(token):
            return run_export(job.source, job.settings, token, progress)

        job.task = self.tasks.start(
            "render-queue", work,
            on_done=lambda path: self.to_ui.post(lambda: self._ended(job, DONE, path=path)),
            on_error=lambda e: self.to_ui.post(lambda: self._ended(job, FAILED, error=e)),
            on_cancelled=lambda: self.to_ui.post(lambda: self._ended(job, CANCELLED)),
        )

    def _ended(self, job: QueueJob, state: str, path: Path | None = None,
               error: BaseException | None = None) -> None:
        job.task = None
        job.path = path
        if error is not None:
            if not isinstance(error, InputError):
                logger.error("render job failed", exc_info=error)
            job.reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        self._set(job, state)
        self._next()

    def _set(self, job: QueueJob, state: str) -> None:
        job.state = state
        if job in self.jobs and not self.session.closing:
            self.row(job).show_job(job)
        self.changed.emit()
