"""The main window: assembles the document, undo stack, timeline, viewport, worker and tasks.

What the window does is split by concern into the modules of its bases: `actions` (actions,
shortcuts, menus), `editing` (commands through the undo stack), `media_flow` (drop -> analysis
-> lip sync), `preview` (requests to the preview worker), `transport` (playhead and playback),
`project_files` (open, save, recent files, autosave and recovery) and `export_flow`. This module
builds the widgets, keeps the state they share and refreshes the views when the document changes.
While the project has neither a portrait nor a voice, the central area shows the welcome page
instead of the viewport.

Edit flow (DESIGN.md): a gesture makes a command -> the undo stack applies it to the Document ->
the Document's event redraws the views and submits a preview request that supersedes any stale
one -> the worker renders -> a queued signal hands the frame to this thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget, QFrame, QLabel, QMainWindow, QMessageBox, QScrollArea, QStackedWidget, QWidget,
)

from studio.analysis.face_rig import FaceRig
from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs import FrameSignals, PreviewWorker, TaskRunner
from studio.ui import autosave, commands, file_dialogs
from studio.ui.actions import WindowActions
from studio.ui.editing import DocumentEditing
from studio.ui.export_dialog import ExportProgress
from studio.ui.export_flow import ExportFlow
from studio.ui.help import APP_NAME, as_sentence
from studio.ui.inspector import Inspector, in_studio_words
from studio.ui.media import AUDIO_SUFFIXES, IMAGE_SUFFIXES, AudioAnalysis, audio_key, file_filter
from studio.ui.media_flow import MediaAnalysisFlow
from studio.ui.media_panel import MediaPanel
from studio.ui.playback import Playback
from studio.ui.preview import PreviewWiring
from studio.ui.project_files import ProjectFiles
from studio.ui.timeline.keys import KeyMove
from studio.ui.timeline.view import Timeline
from studio.ui.transport import Transport
from studio.ui.undo import BatchedUndoStack
from studio.ui.viewport import Viewport
from studio.ui.welcome import WelcomePage

MIN_WINDOW = (900, 600)  # the panels side by side, the viewport still a usable size
TIMELINE_SHARE = 0.5  # of the window's height, at most, that the timeline claims back
AUTOSAVE_DELAY_MS = 2_000  # after the last edit: a crash loses at most the last few seconds


class _Bridge(QObject):
    """Queued hand-over from worker threads: `call` runs a closure on the window's thread."""

    call = Signal(object)


class MainWindow(WindowActions, DocumentEditing, MediaAnalysisFlow, PreviewWiring, Transport,
                 ProjectFiles, ExportFlow, QMainWindow):
    """The studio's window: its parts (one module each, see the bases) over one document."""

    frameShown = Signal(int)  # frame index, after the viewport got a new picture
    frameRefined = Signal(int, int)  # frame index, denoising step of an intermediate picture
    analysisFinished = Signal()
    exportFinished = Signal(object)  # Path, or None when cancelled or failed
    errorShown = Signal(str)  # the message of a dialog saying something could not be done

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.doc = Document()
        self.undo_stack = BatchedUndoStack(self._redraw_once, self)
        self.frame = 0
        self.rigs: dict[str, FaceRig] = {}
        self.audio: dict[tuple, AudioAnalysis] = {}
        self._pending_analysis: set[object] = set()
        self._fill_visemes: set[tuple] = set()  # audio keys whose lip sync fills the track
        self._signals: FrameSignals | None = None
        self._shown_generation = 0
        self._final_shown = False
        self._refining = False
        self._export_task = None
        self.error_box: QMessageBox | None = None
        self.notification: QMessageBox | None = None
        self._closing = False
        self._batch: set[str] | None = None  # document parts changed inside a batched edit
        self._prepared: tuple[str, object] | None = None  # (scene key, renderer) from analysis
        self._after_frame: list = []  # work that waits until the new project's frame is shown
        self._drag_moves: list[KeyMove] | None = None  # a drag's latest moves, not yet previewed
        self._welcome_shown: bool | None = None
        self._welcome_hid: list[QDockWidget] = []  # panels the welcome page put away
        self._preview_problem: str | None = None  # the last preview refusal shown in a dialog

        self._bridge = _Bridge()
        self._bridge.call.connect(lambda fn: fn(), Qt.QueuedConnection)
        self.worker = PreviewWorker(
            on_frame=lambda result: self._bridge.call.emit(lambda: self._frame_ready(result)),
            on_error=lambda gen, error: self._bridge.call.emit(
                lambda: self._preview_failed(gen, error)),
        )
        self.tasks = TaskRunner()
        self.playback = Playback(self)
        self.playback.frameChanged.connect(self._play_frame)
        self.playback.problem.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.playback.stateChanged.connect(self._update_actions)

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self.setAcceptDrops(True)
        self.setMinimumSize(*MIN_WINDOW)
        self.resize(1400, 900)
        self.resizeDocks([self.timeline_dock], [self._timeline_height()], Qt.Vertical)
        self.resizeDocks([self.media_dock, self.inspector_dock], [220, 300], Qt.Horizontal)
        self._restore_layout()
        self.doc.events.connect(self._doc_changed)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_actions)
        self.autosaver = autosave.SessionAutosave(
            self.settings,
            on_error=lambda text: self._bridge.call.emit(lambda: self._autosave_failed(text)))
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self.undo_stack.indexChanged.connect(lambda _: self._autosave_timer.start())
        self._show_document()
        self._warm_up()

    # ---- construction ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.viewport = Viewport()
        self.welcome = WelcomePage()
        self.welcome.pathsDropped.connect(self.open_paths)
        self.welcome.mediaRequested.connect(self._choose_media)
        self.welcome.sampleRequested.connect(self.open_sample)
        self.welcome.openRequested.connect(self.open_dialog)
        self.welcome.recentRequested.connect(lambda path: self.open_project(path))
        self.central = QStackedWidget()
        self.central.addWidget(self.viewport)
        self.central.addWidget(self.welcome)
        self.setCentralWidget(self.central)
        self.timeline = Timeline()
        self.timeline.view.setAcceptDrops(False)
        self.timeline.playheadMoved.connect(self.set_frame)
        self.timeline.keysDragging.connect(self._preview_moves)
        self.timeline.keysMoved.connect(self._commit_moves)
        self.timeline.keyAddRequested.connect(
            lambda track, field, t, v: self._push(
                commands.add_key_command(self.doc, track, field, t, v)))
        self.timeline.deleteRequested.connect(self.delete_keys)
        self.timeline.interpolationRequested.connect(
            lambda refs, interp: self._push(commands.interpolation_command(self.doc, refs, interp)))
        self.timeline.visemeOverrideRequested.connect(self.override_viseme)
        self.timeline.visemeAutomaticRequested.connect(self.restore_viseme)
        self.timeline.selectionChanged.connect(
            lambda refs: self.inspector.show_key(self.doc.project, refs))
        # Delete is enabled by a selection, not only by an edit (Ctrl+A then Delete)
        self.timeline.selectionChanged.connect(self._update_actions)
        self.timeline_dock = self._dock("Timeline", self.timeline, Qt.BottomDockWidgetArea)
        self.inspector = Inspector()
        self.inspector.keyEdited.connect(
            lambda ref, values: self._push(commands.edit_key_command(self.doc, ref, **values)))
        self.inspector.settingChanged.connect(self._change_setting)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.media_panel = MediaPanel()
        self.media_panel.openRequested.connect(self._choose_media)
        self.media_panel.transcriptApplied.connect(self.apply_transcript)
        # in a short window the panel scrolls rather than spill over the timeline below it
        media_scroll = QScrollArea()
        media_scroll.setWidgetResizable(True)
        media_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        media_scroll.setFrameShape(QFrame.NoFrame)
        media_scroll.setWidget(self.media_panel)
        self.media_dock = self._dock("Media", media_scroll, Qt.LeftDockWidgetArea)
        self.frame_label = QLabel()
        self.statusBar().addPermanentWidget(self.frame_label)
        self.export_progress = ExportProgress()
        self.export_progress.cancelRequested.connect(self.cancel_export)
        self.export_progress.hide()
        self.statusBar().addPermanentWidget(self.export_progress)

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        dock.setWidget(widget)
        dock.setAcceptDrops(False)
        self.addDockWidget(area, dock)
        return dock

    def _choose_media(self, kind: str) -> None:
        """The media panel's buttons: a chosen file takes the same path as a dropped one."""
        if kind == "portrait":
            filter_ = file_filter("Images", IMAGE_SUFFIXES)
        else:
            filter_ = file_filter("Audio", AUDIO_SUFFIXES)
        path = file_dialogs.open_file(self, self.settings, "media", f"Choose {kind}", filter_)
        if path is not None:
            self.open_paths([path])

    # ---- document <-> views -----------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self.doc.project

    def _set_document(self, doc: Document) -> None:
        self.playback.stop()
        self._preview_problem = None
        self.doc.events.disconnect(self._doc_changed)
        self.doc = doc
        self.doc.events.connect(self._doc_changed)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.frame = 0
        self.timeline.project = None  # a new document refits the timeline
        self._show_document()

    def _show_document(self) -> None:
        self._signals = None
        self._refresh_views(frozenset({"media", "settings"}))
        self._ensure_analysis()
        self.request_preview()
        self._update_title()

    def _doc_changed(self, parts: frozenset[str]) -> None:
        if self._batch is not None:
            self._batch |= parts
            return
        self._signals = None
        self._refresh_views(parts)
        if parts & {"media", "settings"}:
            self._ensure_analysis()
        self.request_preview()

    def _refresh_views(self, parts: frozenset[str]) -> None:
        project = self.doc.project
        self.frame = min(self.frame, project.frame_count() - 1)
        analysis = self.audio.get(audio_key(project))
        self.timeline.set_project(
            project, waveform=analysis.waveform if analysis else None,
            auto_blinks=self._auto_blinks(project, analysis), changed=parts)
        self.timeline.set_frame(self.frame)
        QTimer.singleShot(0, self, self._refresh_inspector)
        rig = self.rigs.get(project.portrait or "")
        self.viewport.set_original(rig.image if rig is not None else None)
        self._show_welcome(project.portrait is None and project.audio is None)
        if rig is None:
            self.viewport.set_message(*_waiting_message(project))
        self.media_panel.show_project(project, rig)
        self._update_frame_label()
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
            self.welcome.set_recent(self._existing_recent())
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

    def _refresh_inspector(self) -> None:
        self.inspector.show_key(self.doc.project, self.timeline.selected())
        self.inspector.show_settings(self.doc.project)

    def _auto_blinks(self, project: Project, analysis: AudioAnalysis | None) -> list[float]:
        """Automatic blinks the clip draws at render time, for a track that stores none yet."""
        from studio.conditioning.blinks import auto_blinks

        if any(b.source == "auto" for b in project.tracks.blinks):
            return []
        return [b.t for b in auto_blinks(project, analysis.performance if analysis else None)]

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.doc.name}[*] — {APP_NAME}")
        self.setWindowModified(not self.undo_stack.isClean())

    def _update_frame_label(self) -> None:
        project = self.doc.project
        self.frame_label.setText(
            f"frame {self.frame} / {project.frame_count() - 1}  ·  "
            f"{self.frame / project.fps:6.2f} s  ·  {project.fps} fps")

    def _update_actions(self, *_) -> None:
        a = self.actions_by_name
        has_media = self.doc.project.portrait is not None
        a["export"].setEnabled(has_media and self._export_task is None)
        a["delete"].setEnabled(bool(self.timeline.selected()))
        self._update_title()

    # ---- dialogs ----------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """A clear, non-blocking message; the project is untouched."""
        box = QMessageBox(QMessageBox.Warning, APP_NAME, message, QMessageBox.Ok, self)
        self.error_box = box
        box.open()
        self.errorShown.emit(message)

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        """A preview the project's settings cannot give (say, the diffusion renderer in an
        installation without torch) is explained once in a dialog and on the viewport; every
        later request fails the same way and only notes it in the status bar."""
        if generation < self._shown_generation:
            return  # a newer request's frame is already on screen
        if isinstance(error, InputError):
            text = as_sentence(in_studio_words(str(error)))
            self.viewport.clear()
            self.viewport.set_message("No preview", text)
            if text != self._preview_problem:
                self._preview_problem = text
                self.show_error(text)
        self._render_failed(error)

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

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if not self.confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop playback, cancel and join every thread, remember the layout."""
        if self._closing:
            return
        self._closing = True
        self._autosave_timer.stop()
        self.playback.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self._welcome_hid:  # the layout to remember is the one the welcome page put away
            self.setUpdatesEnabled(False)
            for dock in self._welcome_hid:
                dock.show()
        self.settings.setValue("window/state", self.saveState())
        self.autosaver.close()  # the user saved or chose to discard (confirm_discard)
        self.worker.shutdown(timeout=60)
        self.tasks.shutdown(timeout=120)  # lip sync cannot be interrupted; it takes seconds


def _waiting_message(project: Project) -> tuple[str, str]:
    """What the viewport says while it has no frame: what it is waiting for."""
    if project.portrait is None and project.audio is None:
        return "", ""  # the welcome page shows instead
    if project.portrait is None:
        return ("Drop a portrait to go with the voice clip",
                "a photo with one face, or choose one in the Media panel")
    return Path(project.portrait).name, "The preview appears once the portrait is analysed"
