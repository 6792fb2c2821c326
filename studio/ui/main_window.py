"""The main window: wires the document, undo stack, timeline, viewport, worker and tasks.

Edit flow (DESIGN.md): a gesture makes a command -> the undo stack applies it to the Document ->
the Document's event redraws the views and submits a preview request that supersedes any stale
one -> the worker renders -> a queued signal hands the frame to this thread.
"""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QWidget,
)

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.conditioning.presets import Preset, load_preset, save_preset
from studio.doc.curves import sample_curve, sample_records
from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.doc.project import STYLE_FIELDS, Project
from studio.jobs import (
    FrameResult, FrameSignals, PreviewRequest, PreviewWorker, Scene, TaskRunner,
)
from studio.jobs.engine import scene_for, signals_for
from studio.render.clip import resolve_preset
from studio.ui import autosave, commands
from studio.ui.actions import WindowActions
from studio.ui.export_dialog import ExportProgress
from studio.ui.export_flow import ExportFlow
from studio.ui.help import APP_NAME
from studio.ui.inspector import Inspector
from studio.ui.media import (
    PLAYBACK_RATE, AudioAnalysis, Dropped, analyze_portrait_file, audio_key, classify, full_audio,
    quick_audio, warm_up_analysis,
)
from studio.ui.media_panel import MediaPanel
from studio.ui.playback import Playback, sound_library_problem
from studio.ui.project_files import ProjectFiles
from studio.ui.timeline.keys import KeyMove, KeyRef, moved_copy
from studio.ui.timeline.view import Timeline
from studio.ui.undo import BatchedUndoStack
from studio.ui.viewport import Viewport

logger = logging.getLogger(__name__)

AUTOSAVE_MS = 60_000

_warmed_up = False  # the analysis warm-up runs once per process, for the first window


class _Bridge(QObject):
    """Queued hand-over from worker threads: `call` runs a closure on the window's thread."""

    call = Signal(object)


class MainWindow(WindowActions, ProjectFiles, ExportFlow, QMainWindow):
    frameShown = Signal(int)  # frame index, after the viewport got a new picture
    frameRefined = Signal(int, int)  # frame index, denoising step of an intermediate picture
    analysisFinished = Signal()
    exportFinished = Signal(object)  # Path, or None when cancelled or failed

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

        self._bridge = _Bridge()
        self._bridge.call.connect(lambda fn: fn(), Qt.QueuedConnection)
        self.worker = PreviewWorker(
            on_frame=lambda result: self._bridge.call.emit(lambda: self._frame_ready(result)),
            on_error=lambda gen, error: self._bridge.call.emit(lambda: self._render_failed(error)),
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
        self.resize(1400, 900)
        self.resizeDocks([self.timeline_dock], [360], Qt.Vertical)
        self.resizeDocks([self.media_dock, self.inspector_dock], [220, 300], Qt.Horizontal)
        self._restore_layout()
        self.doc.events.connect(self._doc_changed)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_actions)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start(AUTOSAVE_MS)
        self._show_document()
        self._warm_up()

    def _warm_up(self) -> None:
        """Load PortAudio, MediaPipe and its graphs while the user picks files, once per
        process: the first portrait dropped is then analysed in a fraction of a second."""
        global _warmed_up
        if _warmed_up:
            return
        _warmed_up = True

        def warm_up(token) -> None:
            sound_library_problem()  # PortAudio, loaded (or found missing) off the UI thread
            warm_up_analysis()

        self.tasks.start("warmup", warm_up, on_done=lambda _: None,
                         on_error=lambda e: logger.debug("analysis warm-up failed", exc_info=e))

    # ---- construction ---------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.viewport = Viewport()
        self.setCentralWidget(self.viewport)
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
        self.timeline.selectionChanged.connect(
            lambda refs: self.inspector.show_key(self.doc.project, refs))
        self.timeline_dock = self._dock("Timeline", self.timeline, Qt.BottomDockWidgetArea)
        self.inspector = Inspector()
        self.inspector.keyEdited.connect(
            lambda ref, values: self._push(commands.edit_key_command(self.doc, ref, **values)))
        self.inspector.settingChanged.connect(self._change_setting)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.media_panel = MediaPanel()
        self.media_panel.openRequested.connect(self._choose_media)
        self.media_dock = self._dock("Media", self.media_panel, Qt.LeftDockWidgetArea)
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

    # ---- document <-> views -----------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self.doc.project

    def _set_document(self, doc: Document) -> None:
        self.playback.stop()
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
            auto_blinks=self._auto_blinks(project, analysis))
        self.timeline.set_frame(self.frame)
        QTimer.singleShot(0, self, self._refresh_inspector)
        rig = self.rigs.get(project.portrait or "")
        self.viewport.set_original(rig.image if rig is not None else None)
        self.media_panel.show_project(project, rig)
        self._update_frame_label()
        self._update_actions()

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

    def _push(self, command) -> None:
        """Apply a command through the undo stack; None (a gesture that changed nothing) is fine.

        An edit of the blink rate redraws the automatic blinks in the same undo step.
        """
        if command is None:
            self.timeline.set_project(self.doc.project)
            self.request_preview()
            return
        if isinstance(command, commands.TrackEditCommand) and "blink_rate" in command.after:
            self._push_with_blinks(command.text(), [command])
        else:
            self.undo_stack.push(command)
        if isinstance(command, commands.TrackEditCommand):
            self.timeline.set_selection(command.selection)

    def _push_with_blinks(self, text: str, edits: list) -> None:
        """Edits that change what automatic blinks follow from, and the redrawn blinks: one step."""
        with self._batched(text):
            for edit in edits:
                self.undo_stack.push(edit)
            refresh = commands.refresh_blinks_command(self.doc, self._blink_performance())
            if refresh is not None:
                self.undo_stack.push(refresh)

    @contextmanager
    def _batched(self, text: str):
        """One undo step of several commands, redrawn once when it is complete."""
        with self._redraw_once():
            self.undo_stack.beginMacro(text)
            try:
                yield
            finally:
                self.undo_stack.endMacro()

    @contextmanager
    def _redraw_once(self):
        """Document changes inside are collected and the views refreshed once at the end:
        redrawing the timeline after each command of a step would cost tens of ms apiece."""
        outer = self._batch is None
        if outer:
            self._batch = set()
        try:
            yield
        finally:
            if outer:
                parts, self._batch = frozenset(self._batch), None
                if parts:
                    self._doc_changed(parts)

    def _blink_performance(self):
        """The voice's performance for blink timing (pauses): the lip-sync pass when there is one.

        The pauses depend on the voice alone, so an analysis under another seed serves as well.
        """
        project = self.doc.project
        if not project.audio:
            return None
        analysis = self.audio.get(audio_key(project))
        if analysis is not None and analysis.complete:
            return analysis.performance
        same_voice = [a for key, a in self.audio.items()
                      if key[:2] == (project.audio, project.fps) and a.complete]
        if same_voice:
            return same_voice[0].performance
        return analysis.performance if analysis is not None else None

    def delete_keys(self, refs: list[KeyRef]) -> None:
        if refs:
            self._push(commands.delete_keys_command(self.doc, refs))

    def _change_setting(self, name: str, value) -> None:
        """An inspector setting; a refused one gets a dialog and the inspector shows the old value."""
        if self.doc.setting(name) == value:
            return
        try:
            if name.startswith("render."):
                self._check_render_setting(name, value)
            if name == "style_preset":
                self.apply_style(resolve_preset(value), value)
                return
            command = commands.SetSettingCommand(self.doc, name, value)
            if name in ("seed", "fps"):
                self._push_with_blinks(command.text(), [command])
            else:
                self.undo_stack.push(command)
        except InputError as error:
            self.show_error(str(error))
            QTimer.singleShot(0, self, self._refresh_inspector)

    def _check_render_setting(self, name: str, value) -> None:
        """Refuse a diffusion model or models folder the loader could not use, with its message."""
        from studio.render.diffusion.presets import load_preset, resolve_models_dir

        trial = copy.deepcopy(self.doc.project.render)
        owner, attr = (trial.diffusion, name.rsplit(".", 1)[1]) if name.startswith(
            "render.diffusion.") else (trial, name.rsplit(".", 1)[1])
        setattr(owner, attr, value)
        if trial.renderer != "diffusion" or attr not in ("model", "models_dir", "renderer"):
            return
        preset = load_preset(trial.diffusion.model)
        root = resolve_models_dir(preset, trial.diffusion.models_dir)
        if not preset.built_in:
            preset.check_folder(root)

    def apply_style(self, preset, source: str) -> None:
        """A speaking-style preset (built-in name or file path) and its blinks, as one undo step."""
        command = commands.ApplyPresetCommand(self.doc, preset, source)
        self._push_with_blinks(command.text(), [command])

    def load_style_preset(self) -> None:
        path = QFileDialog.getOpenFileName(self, "Load style preset", "",
                                           "Style presets (*.json)")[0]
        if not path:
            return
        try:
            self.apply_style(load_preset(path), str(Path(path).absolute()))
        except InputError as error:
            self.show_error(str(error))

    def save_style_preset(self, path: Path | None = None) -> bool:
        """The style at the playhead, the blink rate and the current preset's motion, as a file."""
        if path is None:
            chosen = QFileDialog.getSaveFileName(self, "Save style preset",
                                                 str(Path.home() / "my-style.json"),
                                                 "Style presets (*.json)")[0]
            if not chosen:
                return False
            path = Path(chosen)
        path = path.with_suffix(".json")
        project = self.doc.project
        t = np.array([self.frame / project.fps])
        style = sample_records(project.tracks.style, STYLE_FIELDS, t,
                               dict.fromkeys(STYLE_FIELDS, 1.0))
        try:
            base = resolve_preset(project.style_preset)
            preset = Preset(path.stem, f"saved from {self.doc.name}",
                            {k: float(v[0]) for k, v in style.items()},
                            float(sample_curve(project.tracks.blink_rate, t)[0]),
                            dict(base.motion), base.expressive)
            save_preset(preset, path)
        except (InputError, OSError) as error:
            self.show_error(f"cannot save style preset {path.name}: {error}")
            return False
        self.statusBar().showMessage(f"Saved style preset {path}", 4000)
        return True

    def override_viseme(self, index: int, viseme: str) -> None:
        self._push(commands.viseme_override_command(self.doc, index, viseme))

    # ---- analysis ---------------------------------------------------------------------------
    def _ensure_analysis(self) -> None:
        """Start background analysis for whatever the project needs and is not cached yet."""
        project = self.doc.project
        portrait = Path(project.portrait) if project.portrait else None
        audio = Path(project.audio) if project.audio else None
        analysis = self.audio.get(audio_key(project))
        if portrait is not None and project.portrait not in self.rigs or (
                audio is not None and analysis is None):
            self._analyse(Dropped(portrait=portrait, audio=audio), apply=False)
        elif analysis is not None and not analysis.complete:
            self._lip_sync(analysis, apply=False)

    def _analyse(self, dropped: Dropped, apply: bool) -> None:
        """Analyse dropped or referenced media off the UI thread; `apply` puts it in the project.

        The portrait and a quick loudness pass come first (the portrait talks within a second or
        two); lip sync follows on its own task once that first frame is on screen.
        """
        marker = ("media", dropped, apply)
        if marker in self._pending_analysis:
            return
        self._pending_analysis.add(marker)
        snapshot = copy.deepcopy(self.doc.project)
        fps = snapshot.fps

        def voice(token):
            return quick_audio(dropped.audio, fps, token)

        def work(token):
            # the voice decodes while the portrait is analysed and the renderer prepared for it:
            # together they set the first frame
            with ThreadPoolExecutor(1, thread_name_prefix="studio-voice") as pool:
                audio = pool.submit(voice, token) if dropped.audio else None
                rig = analyze_portrait_file(dropped.portrait, token) if dropped.portrait else None
                prepared = self._prepare_early(snapshot, rig, token)
                return rig, audio.result() if audio is not None else None, prepared

        names = " and ".join(p.name for p in (dropped.portrait, dropped.audio) if p)
        self.statusBar().showMessage(f"Analysing {names}…")
        self._start_task("analysis", marker, work,
                         lambda result: self._analysis_done(dropped, apply, *result))

    @staticmethod
    def _prepare_early(project: Project, rig: FaceRig | None,
                       token) -> tuple[str, object] | None:
        """The mesh renderer prepared for a new portrait on the analysis task, where it overlaps
        the voice decoding, instead of on the preview worker afterwards. Diffusion preparation
        loads models for seconds and stays with the worker, which reports its failures."""
        if rig is None or project.render.renderer != "mesh":
            return None
        token.raise_if_cancelled()
        scene = scene_for(project, rig)
        return scene.key, scene.prepare()

    def _start_task(self, name: str, marker, work, done) -> None:
        """Run `work` on a task; `done` and failures come back on this thread."""

        def finish(fn):
            self._pending_analysis.discard(marker)
            if not self._closing:
                fn()

        self.tasks.start(
            name, work,
            on_done=lambda r: self._bridge.call.emit(lambda: finish(lambda: done(r))),
            on_error=lambda e: self._bridge.call.emit(
                lambda: finish(lambda: self._analysis_failed(e))),
            on_cancelled=lambda: self._bridge.call.emit(lambda: finish(lambda: None)),
        )

    def _analysis_done(self, dropped: Dropped, apply: bool, rig: FaceRig | None,
                       audio: AudioAnalysis | None, prepared: tuple[str, object] | None) -> None:
        if prepared is not None:
            self._prepared = prepared
        if rig is not None:
            self.rigs[str(dropped.portrait)] = rig
            if rig.faces_found > 1:
                self.statusBar().showMessage(
                    f"{rig.faces_found} faces in {dropped.portrait.name}: animating the largest",
                    8000)
        project = copy.deepcopy(self.doc.project)
        if audio is not None:
            project.audio = str(dropped.audio)
            key = audio_key(project)
            if key not in self.audio or not self.audio[key].complete:
                self.audio[key] = audio
        if apply:
            self._attach_media(dropped, audio)
        else:
            self._doc_changed(frozenset({"media"}))
        if audio is not None:
            quick = self.audio[audio_key(project)]
            # lip sync keeps both cores busy for seconds: it starts once the talking portrait is
            # on screen, so it does not slow the first frame down
            self._after_next_frame(lambda: self._lip_sync(quick, apply))
        else:
            self.statusBar().showMessage("Ready", 3000)
            self.analysisFinished.emit()

    def _after_next_frame(self, fn) -> None:
        """Run `fn` once the viewport has shown the current project's frame (at once when there
        is no portrait to show)."""
        if self.rigs.get(self.doc.project.portrait or "") is None or self._closing:
            fn()
        else:
            self._after_frame.append(fn)

    def _run_after_frame(self) -> None:
        waiting, self._after_frame = self._after_frame, []
        for fn in waiting:
            fn()

    def _lip_sync(self, quick: AudioAnalysis, apply: bool) -> None:
        """Replace the quick audio pass with lip sync and prosody; `apply` fills the viseme track."""
        project = copy.deepcopy(self.doc.project)
        key = audio_key(project)
        if apply:
            self._fill_visemes.add(key)
        if quick.complete:
            self.statusBar().showMessage("Ready", 3000)
            self.analysisFinished.emit()
            return
        marker = ("lipsync", key)
        if marker in self._pending_analysis:
            return
        self._pending_analysis.add(marker)
        self.statusBar().showMessage(f"Lip sync for {quick.clip.path.name}…")

        def done(full: AudioAnalysis) -> None:
            self.audio[key] = full
            current = self.doc.project
            if key in self._fill_visemes and audio_key(current) == key and not current.tracks.visemes:
                self._push_with_blinks(f"Lip sync {quick.clip.path.name}", [
                    commands.TrackEditCommand(self.doc, "Fill visemes", {"visemes": []},
                                              {"visemes": full.visemes}, [])])
            else:
                self._doc_changed(frozenset({"media"}))
            self._fill_visemes.discard(key)
            self.statusBar().showMessage("Ready", 3000)
            self.analysisFinished.emit()

        self._start_task("lipsync", marker, lambda token: full_audio(quick, project, token), done)

    def _attach_media(self, dropped: Dropped, audio: AudioAnalysis | None) -> None:
        """One undo step that puts newly analysed media (and the clip's length) in the project."""
        names = " and ".join(p.name for p in (dropped.portrait, dropped.audio) if p)
        with self._batched(f"Add {names}"):
            self._push_media(dropped, audio)
        if dropped.audio is not None:
            self.timeline.fit()

    def _push_media(self, dropped: Dropped, audio: AudioAnalysis | None) -> None:
        if dropped.portrait is not None:
            self.undo_stack.push(commands.SetSettingCommand(self.doc, "portrait",
                                                            str(dropped.portrait)))
        if dropped.audio is not None and audio is not None:
            self.undo_stack.push(commands.SetSettingCommand(self.doc, "audio", str(dropped.audio)))
            # rounded as the project file stores it, so a saved project reopens identical
            self.undo_stack.push(commands.SetSettingCommand(self.doc, "duration",
                                                            round(audio.clip.duration, 6)))
            if self.doc.project.tracks.visemes:  # a new voice: the old lip sync no longer fits
                self.undo_stack.push(commands.TrackEditCommand(
                    self.doc, "Clear lip sync", {"visemes": self.doc.items("visemes")},
                    {"visemes": []}, []))
            refresh = commands.refresh_blinks_command(self.doc, self._blink_performance())
            if refresh is not None:
                self.undo_stack.push(refresh)

    def _analysis_failed(self, error: BaseException) -> None:
        self.statusBar().clearMessage()
        if isinstance(error, InputError):
            self.show_error(str(error))
        else:
            logger.error("analysis failed", exc_info=error)
            self.show_error(f"Analysis failed unexpectedly: {error}")

    # ---- preview ----------------------------------------------------------------------------
    def _current_signals(self) -> FrameSignals:
        if self._signals is None:
            self._signals = self._signals_of(self.doc.project)
        return self._signals

    def _signals_of(self, project: Project) -> FrameSignals:
        analysis = self.audio.get(audio_key(project))
        return signals_for(project, self.rigs[project.portrait],
                           analysis.performance if analysis else None,
                           analysis.visemes if analysis else None)

    def request_preview(self, project: Project | None = None) -> int | None:
        """Ask the worker for the playhead frame; `project` previews an uncommitted drag."""
        current = self.doc.project
        rig = self.rigs.get(current.portrait or "")
        if rig is None or self._closing:
            if current.portrait is None:
                self.viewport.clear()
            return None
        if project is None:
            signals = self._current_signals()
        else:
            signals = self._signals_of(project)
        scene = scene_for(current, rig)
        if self._prepared is not None and self._prepared[0] == scene.key:
            renderer = self._prepared[1]
            scene = Scene(scene.key, lambda: renderer)
        self._prepared = None  # the worker keeps the renderer from here on
        request = PreviewRequest(
            scene, signals, self.frame,
            landmarks=self.actions_by_name["overlay_landmarks"].isChecked(),
            **self._render_ahead(current, dragging=project is not None))
        return self.worker.submit(request)

    def _render_ahead(self, project: Project, dragging: bool = False) -> dict[str, int]:
        """Frames rendered around the playhead: diffusion frames cost seconds, mesh ones ms.

        None while a drag runs: the next mouse move supersedes those frames, and a render ahead
        already under way would hold up that move's frame until it finished; the drag's end
        renders ahead for the state it commits.
        """
        if dragging:
            return {"ahead": 0, "behind": 0}
        if project.render.renderer == "diffusion":
            return {"ahead": 2, "behind": 0}
        return {"ahead": 50 if self.playback.playing else 25, "behind": 5}

    def _preview_moves(self, moves: list[KeyMove]) -> None:
        """A drag's live preview: one request per event-loop turn, for the latest mouse move
        (the moves that arrived in between would be superseded before they could show)."""
        if self._drag_moves is None:
            QTimer.singleShot(0, self, self._request_drag_preview)
        self._drag_moves = moves

    def _request_drag_preview(self) -> None:
        moves, self._drag_moves = self._drag_moves, None
        if moves is not None:
            self.request_preview(moved_copy(self.doc.project, moves)[0])

    def _commit_moves(self, moves: list[KeyMove]) -> None:
        self._drag_moves = None  # the command's own preview follows
        self._push(commands.move_keys(self.doc, moves))

    def _frame_ready(self, result: FrameResult) -> None:
        """Newest generation wins; a diffusion frame arrives as its refinement steps first."""
        if result.generation < self._shown_generation or self._closing:
            return
        if result.generation == self._shown_generation and not result.final and self._final_shown:
            return  # a late step of a request whose final frame is already on screen
        self._shown_generation = result.generation
        self._final_shown = result.final
        self.viewport.show_frame(result.image, result.landmarks)
        if result.final:
            if self._refining:
                self.statusBar().clearMessage()
                self._refining = False
            self.frameShown.emit(result.index)
            self._run_after_frame()
        else:
            self._refining = True
            self.statusBar().showMessage(
                "Mesh preview, refining…" if result.step == 0
                else f"Refining: step {result.step} of {result.total}")
            self.frameRefined.emit(result.index, result.step)

    def _render_failed(self, error: BaseException) -> None:
        self.statusBar().showMessage(f"Preview failed: {error}", 10_000)
        self._run_after_frame()

    def set_frame(self, frame: int) -> None:
        frame = min(max(int(frame), 0), self.doc.project.frame_count() - 1)
        self.frame = frame
        self.timeline.set_frame(frame)
        self._update_frame_label()
        self.request_preview()

    def step(self, frames: int) -> None:
        self.playback.stop()
        self.set_frame(self.frame + frames)

    # ---- playback ---------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.playback.playing:
            self.playback.stop()
        else:
            self.shuttle(1)

    def shuttle(self, direction: int) -> None:
        """J/L: start playing that way; pressed again while playing that way, double the speed."""
        speed = self.playback.speed
        if self.playback.playing and speed * direction > 0:
            speed = max(-8.0, min(8.0, speed * 2))
        else:
            speed = float(direction)
        project = self.doc.project
        analysis = self.audio.get(audio_key(project))
        samples = analysis.playback if analysis is not None else None
        self.playback.configure(project.fps, project.frame_count(), samples, PLAYBACK_RATE)
        self.playback.play(self.frame, speed)

    def pause_or_add_key(self) -> None:
        """K pauses while playing (J/K/L transport) and adds a key at the playhead when stopped."""
        if self.playback.playing:
            self.playback.stop()
            return
        track, field = self.timeline.active
        t = self.frame / self.doc.project.fps
        self._push(commands.add_key_command(self.doc, track, field, t))

    def _play_frame(self, frame: int) -> None:
        self.frame = frame
        self.timeline.set_frame(frame)
        self._update_frame_label()
        cached = self.worker.peek(frame)
        if cached is not None and not self.actions_by_name["overlay_landmarks"].isChecked():
            self.viewport.show_frame(cached)
            self.frameShown.emit(frame)
            if frame % 10 == 0:  # keep the render-ahead window moving with the playhead
                self.request_preview()
        else:
            self.request_preview()

    # ---- files ------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        self.open_paths(paths)

    def open_paths(self, paths: list[Path]) -> None:
        """Dropped or chosen files: a project opens; a portrait and/or voice clip join the project."""
        try:
            dropped = classify(paths)
            missing = [p for p in paths if not p.is_file()]
            if missing:
                raise InputError(f"cannot open {missing[0].name}: the file does not exist")
        except InputError as error:
            self.show_error(str(error))
            return
        if dropped.project is not None:
            self.open_project(dropped.project)
            return
        if dropped.portrait is None and dropped.audio is None:
            return
        self._analyse(Dropped(dropped.portrait, dropped.audio), apply=True)

    def _choose_media(self, kind: str) -> None:
        if kind == "portrait":
            filter_ = "Images (*.jpg *.jpeg *.png *.webp *.bmp *.tif *.tiff)"
        else:
            filter_ = "Audio (*.wav *.mp3 *.m4a *.aac *.ogg *.opus *.flac)"
        path = QFileDialog.getOpenFileName(self, f"Choose {kind}", "", filter_)[0]
        if path:
            self.open_paths([Path(path)])

    # ---- dialogs ----------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """A clear, non-blocking message; the project is untouched."""
        box = QMessageBox(QMessageBox.Warning, APP_NAME, message, QMessageBox.Ok, self)
        self.error_box = box
        box.open()

    # ---- layout and shutdown ----------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

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
        self.settings.setValue("window/state", self.saveState())
        autosave.forget_autosave(self.settings)
        self.worker.shutdown(timeout=60)
        self.tasks.shutdown(timeout=120)  # lip sync cannot be interrupted; it takes seconds
