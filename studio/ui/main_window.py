"""The main window: builds the widgets, creates the session and the controllers, and wires them.

The session (`session`) is the model: the document and its undo stack, the media analyses, the
frame signals and the playhead. Each concern is a controller with its dependencies given to its
constructor: `files` (open, save, recent files, drops, autosave and recovery), `media` (analysis
and lip sync), `preview` (requests to the preview worker), `transport` (playhead and playback),
`editing` (commands through the undo stack), `exporter` and `window_actions` (actions, keys,
menus). This module lays out the panels and refreshes the views when the session changes. While
the project has neither a portrait nor a voice, the central area shows the welcome page instead
of the viewport.

Edit flow (docs/architecture.md): a gesture makes a command -> the undo stack applies it to the
Document -> the session reports the changed parts once per step -> the window redraws the views
and the preview controller submits a request that supersedes any stale one -> the worker renders
-> a queued signal hands the frame to this thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QStackedWidget, QWidget,
)

from studio.doc.project import Project
from studio.jobs import TaskRunner
from studio.render.registry import notice_of
from studio.ui.actions import WindowActions
from studio.ui.editing import DocumentEditing
from studio.ui.export_dialog import ExportProgress
from studio.ui.exchange_flow import CueExchange
from studio.ui.export_flow import ExportFlow
from studio.ui.help import APP_NAME
from studio.ui.inspector import Inspector
from studio.ui.media import AudioAnalysis, dropped_files
from studio.ui.media_flow import MediaAnalysisFlow
from studio.ui.media_panel import MediaPanel
from studio.ui.notices import Notices, ToUiThread
from studio.ui.playback import Playback
from studio.ui.preview import Preview
from studio.ui.project_files import ProjectFiles
from studio.ui.render_queue import RenderQueue, RenderQueuePanel
from studio.ui.session import Session
from studio.ui.timeline.view import Timeline
from studio.ui.transport import Transport
from studio.ui.viewport import Viewport
from studio.ui.welcome import WelcomePage

MIN_WINDOW = (900, 600)  # the panels side by side, the viewport still a usable size
TIMELINE_SHARE = 0.5  # of the window's height, at most, that the timeline claims back


class MainWindow(QMainWindow):
    """The studio's window: its widgets, one session and the controllers that work on it."""

    frameShown = Signal(int)  # frame index, after the viewport got a new picture
    frameRefined = Signal(int, int)  # frame index, denoising step of an intermediate picture
    analysisFinished = Signal()
    exportFinished = Signal(object)  # Path, or None when cancelled or failed
    errorShown = Signal(str)  # the message of a dialog saying something could not be done

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        session = self.session = Session(self)  # the model; the same objects for its whole life:
        self.undo_stack, self.rigs, self.audio = session.undo_stack, session.rigs, session.audio
        self._welcome_shown: bool | None = None
        self._welcome_hid: list[QDockWidget] = []  # panels the welcome page put away
        self._build_widgets()
        to_ui = self.to_ui = ToUiThread()  # results of background work, back on this thread
        self.tasks = TaskRunner()
        self.playback = Playback(self)
        self.notices = Notices(self, self.statusBar())
        self.preview = Preview(session, self.viewport, self.playback, self.notices, to_ui)
        self.worker = self.preview.worker
        self.editing = DocumentEditing(session, self, self.settings, self.timeline,
                                       self.inspector, self.preview, self.notices)
        self.transport = Transport(session, self.playback, self.timeline, self.frame_label,
                                   self.preview, self.editing)
        self.media = MediaAnalysisFlow(session, self.tasks, to_ui, self.notices, self.editing,
                                       self.timeline)
        self.files = ProjectFiles(session, self, self.settings, self.notices, to_ui, self.media,
                                  self.welcome)
        self.exporter = ExportFlow(session, self, self.tasks, to_ui, self.notices,
                                   self.export_progress, self.files)
        self.cue_exchange = CueExchange(session, self, self.settings, self.notices)
        self.render_queue = RenderQueue(session, self, self.tasks, to_ui, self.notices,
                                        self.queue_panel, self.queue_dock)
        # the queue, opened beside the inspector, takes a third of the height, not the half
        # that squeezed the inspector to two fields in a small window
        self.render_queue.dockOpened.connect(self._queue_opened)
        self.window_actions = WindowActions(
            self, self.settings, session, self.files, self.editing, self.transport, self.preview,
            self.exporter, self.timeline, self.viewport,
            [self.timeline_dock, self.inspector_dock, self.media_dock, self.queue_dock],
            self.cue_exchange, self.render_queue)
        self.actions_by_name = self.window_actions.by_name
        self.recent_menu = self.window_actions.recent_menu
        self._wire()
        self.setAcceptDrops(True)
        self.setMinimumSize(*MIN_WINDOW)
        self.resize(1400, 900)
        self.resizeDocks([self.timeline_dock], [self._timeline_height()], Qt.Vertical)
        self.resizeDocks([self.media_dock, self.inspector_dock], [220, 300], Qt.Horizontal)
        self._restore_layout()
        self._document_replaced()
        self.media.warm_up()

    def _wire(self) -> None:
        """Who reacts to what: the session's changes, the widgets' gestures, the controllers'."""
        session, files, media, preview = self.session, self.files, self.media, self.preview
        editing, transport, timeline = self.editing, self.transport, self.timeline
        session.changed.connect(self._document_changed)
        session.replaced.connect(self._document_replaced)
        session.undo_stack.cleanChanged.connect(self._update_title)
        session.undo_stack.indexChanged.connect(self._update_actions)
        session.undo_stack.indexChanged.connect(files.schedule_autosave)
        files.saved.connect(self._update_title)
        self.playback.frameChanged.connect(transport.play_frame)
        self.playback.problem.connect(lambda text: self.notices.status(text, 10_000))
        self.playback.stateChanged.connect(self._update_actions)
        preview.settled.connect(media.run_after_frame)
        preview.frameShown.connect(self.frameShown)
        preview.frameRefined.connect(self.frameRefined)
        media.analysisFinished.connect(self.analysisFinished)
        self.exporter.exportFinished.connect(self.exportFinished)
        self.exporter.runningChanged.connect(self._update_actions)
        self.notices.errorShown.connect(self.errorShown)
        self.welcome.pathsDropped.connect(files.open_paths)
        self.welcome.mediaRequested.connect(files.choose_media)
        self.welcome.sampleRequested.connect(files.open_sample)
        self.welcome.openRequested.connect(files.open_dialog)
        self.welcome.recentRequested.connect(lambda path: files.open_project(path))
        timeline.playheadMoved.connect(transport.set_frame)
        timeline.keysDragging.connect(preview.preview_moves)
        timeline.keysMoved.connect(preview.end_drag)
        timeline.keysMoved.connect(editing.move_keys)
        timeline.keyAddRequested.connect(editing.add_key)
        timeline.deleteRequested.connect(editing.delete_keys)
        timeline.interpolationRequested.connect(editing.set_interpolation)
        timeline.visemeOverrideRequested.connect(editing.override_viseme)
        timeline.visemeAutomaticRequested.connect(editing.restore_viseme)
        timeline.selectionChanged.connect(
            lambda refs: self.inspector.show_key(session.project, refs))
        # Delete is enabled by a selection, not only by an edit (Ctrl+A then Delete)
        timeline.selectionChanged.connect(self._update_actions)
        self.inspector.keyEdited.connect(editing.edit_key)
        self.inspector.settingChanged.connect(editing.change_setting)
        self.media_panel.openRequested.connect(files.choose_media)
        self.media_panel.transcriptApplied.connect(media.apply_transcript)
        self.export_progress.cancelRequested.connect(self.exporter.cancel_export)

    # ---- the public surface: what app.py, scripts and tests use -----------------------------
    @property
    def doc(self):
        return self.session.doc

    @property
    def project(self) -> Project:
        return self.session.project

    @property
    def frame(self) -> int:
        return self.session.frame

    @property
    def error_box(self):
        return self.notices.error_box

    @error_box.setter
    def error_box(self, box) -> None:
        self.notices.error_box = box

    @property
    def notification(self):
        return self.exporter.notification

    @property
    def last_export_dialog(self):
        return self.exporter.last_export_dialog

    @property
    def help_box(self):
        return self.window_actions.help_box

    def set_frame(self, frame: int) -> None:
        self.transport.set_frame(frame)

    def shuttle(self, direction: int) -> None:
        self.transport.shuttle(direction)

    def open_paths(self, paths: list[Path]) -> None:
        self.files.open_paths(paths)

    def open_project(self, path: Path, confirmed: bool = False,
                     offer_recovery: bool = True) -> bool:
        return self.files.open_project(path, confirmed, offer_recovery)

    def offer_recovery(self) -> None:
        self.files.offer_recovery()

    def save_to(self, path: Path) -> bool:
        return self.files.save_to(path)

    def save_style_preset(self, path: Path | None = None) -> bool:
        return self.editing.save_style_preset(path)

    # ---- construction ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.viewport = Viewport()
        self.welcome = WelcomePage()
        self.central = QStackedWidget()
        self.central.addWidget(self.viewport)
        self.central.addWidget(self.welcome)
        self.setCentralWidget(self.central)
        self.timeline = Timeline()
        self.timeline.view.setAcceptDrops(False)
        self.timeline_dock = self._dock("Timeline", self.timeline, Qt.BottomDockWidgetArea)
        self.inspector = Inspector()
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.media_panel = MediaPanel()
        # in a short window the panel scrolls rather than spill over the timeline below it
        media_scroll = QScrollArea()
        media_scroll.setWidgetResizable(True)
        media_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        media_scroll.setFrameShape(QFrame.NoFrame)
        media_scroll.setWidget(self.media_panel)
        self.media_dock = self._dock("Media", media_scroll, Qt.LeftDockWidgetArea)
        self.queue_panel = RenderQueuePanel()
        self.queue_dock = self._dock("Render Queue", self.queue_panel, Qt.RightDockWidgetArea)
        self.queue_dock.setObjectName("render_queue")
        self.queue_dock.hide()  # shown when a job is added, or from View > Panels
        self.frame_label = QLabel()
        self.statusBar().addPermanentWidget(self.frame_label)
        self.export_progress = ExportProgress()
        self.export_progress.hide()
        self.statusBar().addPermanentWidget(self.export_progress)

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        dock.setWidget(widget)
        dock.setAcceptDrops(False)
        self.addDockWidget(area, dock)
        return dock

    # ---- session -> views -------------------------------------------------------------------
    def _document_replaced(self) -> None:
        """Another document (and at the start, the empty one): everything is shown afresh."""
        self.playback.stop()
        self.preview.forget_problem()
        self.timeline.project = None  # a new document refits the timeline
        self._document_changed(frozenset({"media", "settings"}))
        self._update_title()

    def _document_changed(self, parts: frozenset[str]) -> None:
        """Redraw the views, start the analyses the media need, preview the new state."""
        self._refresh_views(parts)
        if parts & {"media", "settings"}:
            self.media.ensure_analysis()
        if "settings" in parts:  # an edit, its undo or redo, another document
            self.notices.standing(notice_of(self.session.project.render))
        self.preview.request()

    def _refresh_views(self, parts: frozenset[str]) -> None:
        """Show the session in every view; `parts` are the document's parts that changed."""
        project = self.session.project
        analysis = self.session.analysis()
        self.timeline.set_project(
            project, waveform=analysis.waveform if analysis else None,
            auto_blinks=_auto_blinks(project, analysis), changed=parts)
        self.timeline.set_frame(self.session.frame)
        QTimer.singleShot(0, self, self.editing.refresh_inspector)
        rig = self.session.rig()
        self.viewport.set_original(rig.image if rig is not None else None)
        self._show_welcome(project.portrait is None and project.audio is None)
        if rig is None:
            self.viewport.set_message(*_waiting_message(project))
        self.media_panel.show_project(project, rig)
        self.transport.show_position()
        self._update_actions()

    def _show_welcome(self, show: bool) -> None:
        """The welcome page for an empty project, the viewport once it has media. The timeline
        and media panels have nothing to show yet and would crowd a small window: the page puts
        them away and brings back the ones that were open. The inspector stays: render settings
        can be chosen before the media."""
        if show == self._welcome_shown:
            return
        self._welcome_shown = show
        if show:
            self.welcome.set_recent(self.files.existing_recent())
            self._welcome_hid = [d for d in (self.timeline_dock, self.media_dock)
                                 if not d.isHidden()]
            for dock in self._welcome_hid:
                dock.hide()
            self.central.setCurrentWidget(self.welcome)
        else:
            for dock in self._welcome_hid:
                dock.show()
            self._welcome_hid = []
            self.central.setCurrentWidget(self.viewport)

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.session.doc.name}[*] — {APP_NAME}")
        self.setWindowModified(not self.session.undo_stack.isClean())

    def _update_actions(self, *_) -> None:
        self.window_actions.update_enabled()
        self._update_title()

    # ---- drops --------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()
        self.files.open_paths(dropped_files(event.mimeData()))

    # ---- layout and shutdown ----------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _timeline_height(self) -> int:
        """The timeline dock's height with every lane readable, within its share of the window."""
        chrome = self.timeline_dock.height() - self.timeline.scroll.viewport().height()
        wanted = self.timeline.readable_height() + max(chrome, 24)
        return int(min(wanted, self.height() * TIMELINE_SHARE))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """A window grown again gives the timeline back the height its lanes need (Qt gives
        all of it to the viewport), so the lanes are not left squeezed and scrolling."""
        super().resizeEvent(event)
        if event.size().height() > event.oldSize().height() > 0:
            QTimer.singleShot(0, self, self._grow_timeline)

    def _grow_timeline(self) -> None:
        if self.timeline_dock.isVisible() and not self.timeline_dock.isFloating():
            wanted = self._timeline_height()
            if self.timeline_dock.height() < wanted:
                self.resizeDocks([self.timeline_dock], [wanted], Qt.Vertical)

    def _queue_opened(self) -> None:
        docks = [self.inspector_dock, self.queue_dock]
        if all(self.dockWidgetArea(d) == Qt.RightDockWidgetArea for d in docks) \
                and not self.inspector_dock.isFloating() and self.inspector_dock.isVisible():
            height = self.inspector_dock.height() + self.queue_dock.height()
            self.resizeDocks(docks, [height * 2 // 3, height // 3], Qt.Vertical)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if not self.render_queue.confirm_close() or not self.files.confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop playback, cancel and join every thread, remember the layout."""
        if self.session.closing:
            return
        self.session.closing = True
        self.playback.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self._welcome_hid:  # the layout to remember is the one the welcome page put away
            self.setUpdatesEnabled(False)
            for dock in self._welcome_hid:
                dock.show()
        self.settings.setValue("window/state", self.saveState())
        self.files.close()  # the user saved or chose to discard (confirm_discard)
        # gone from the screen at once; the threads are joined behind it (an analysis under
        # way finishes first: seconds)
        self.hide()
        self.worker.shutdown(timeout=60)
        self.render_queue.shutdown()
        self.tasks.shutdown(timeout=120)  # lip sync cannot be interrupted; it takes seconds


def _waiting_message(project: Project) -> tuple[str, str]:
    """What the viewport says while it has no frame: what it is waiting for."""
    if project.portrait is None and project.audio is None:
        return "", ""  # the welcome page shows instead
    if project.portrait is None:
        return ("Drop a portrait to go with the voice clip",
                "a photo with one face, or choose one in the Media panel")
    return Path(project.portrait).name, "The preview appears once the portrait is analysed"


def _auto_blinks(project: Project, analysis: AudioAnalysis | None) -> list[float]:
    """Automatic blinks the clip draws at render time, for a track that stores none yet."""
    from studio.conditioning.blinks import auto_blinks

    if any(b.source == "auto" for b in project.tracks.blinks):
        return []
    return [b.t for b in auto_blinks(project, analysis.performance if analysis else None)]
