"""The preview: the playhead frame (and frames around it) requested from the jobs worker.

Each document change supersedes any stale request; the worker renders off the UI thread and a
queued signal hands the frame back. A key drag previews only the latest mouse move of an
event-loop turn, without render-ahead, so nothing queued holds up the next move.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs import FrameResult, PreviewRequest, PreviewWorker, Scene
from studio.jobs.engine import scene_for
from studio.render.registry import notice_of, renderer_kind
from studio.ui.help import as_sentence
from studio.ui.inspector import in_studio_words
from studio.ui.notices import Notices, ToUiThread
from studio.ui.playback import Playback
from studio.ui.session import Session
from studio.ui.timeline.keys import KeyMove, moved_copy
from studio.ui.viewport import Viewport


class Preview(QObject):
    """Requests to the preview worker (which it owns) and the frames it sends back."""

    frameShown = Signal(int)  # frame index, after the viewport got a new picture
    frameRefined = Signal(int, int)  # frame index, denoising step of an intermediate picture
    settled = Signal()  # the requested frame is on screen, or could not be made

    def __init__(self, session: Session, viewport: Viewport, playback: Playback,
                 notices: Notices, to_ui: ToUiThread) -> None:
        super().__init__()
        self.session = session
        self.viewport = viewport
        self.playback = playback  # playing renders further ahead
        self.notices = notices
        self.worker = PreviewWorker(
            on_frame=lambda result: to_ui.post(lambda: self._frame_ready(result)),
            on_error=lambda gen, error: to_ui.post(lambda: self._failed(gen, error)),
        )
        self.landmarks = False  # the face mesh overlay: frames come with their landmarks
        self._shown_generation = 0
        self._final_shown = False
        self._refining = False
        self._drag_moves: list[KeyMove] | None = None  # a drag's latest moves, not yet previewed
        self._problem: str | None = None  # the last preview refusal shown in a dialog

    @property
    def shown_generation(self) -> int:
        """The worker's generation of the request whose frame is on screen."""
        return self._shown_generation

    def set_landmarks(self, on: bool) -> None:
        self.landmarks = on
        self.request()

    def forget_problem(self) -> None:
        """Another document: a refusal already explained is explained again."""
        self._problem = None

    def request(self, project: Project | None = None) -> int | None:
        """Ask the worker for the playhead frame; `project` previews an uncommitted drag."""
        session = self.session
        current = session.project
        rig = session.rig()
        if rig is None or session.closing:
            if current.portrait is None:
                self.viewport.clear()
            return None
        signals = session.signals() if project is None else session.signals_of(project)
        scene = scene_for(current, rig)
        if session.prepared is not None and session.prepared[0] == scene.key:
            renderer = session.prepared[1]
            scene = Scene(scene.key, lambda: renderer)
        session.prepared = None  # the worker keeps the renderer from here on
        request = PreviewRequest(
            scene, signals, session.frame, landmarks=self.landmarks,
            **self._render_ahead(current, dragging=project is not None))
        return self.worker.submit(request)

    def show_playing(self, frame: int) -> None:
        """A frame of playback: straight from the worker's cache when it is there."""
        cached = self.worker.peek(frame)
        if cached is not None and not self.landmarks:
            self.viewport.show_frame(cached)
            self.frameShown.emit(frame)
            if frame % 10 == 0:  # keep the render-ahead window moving with the playhead
                self.request()
        else:
            self.request()

    def _render_ahead(self, project: Project, dragging: bool = False) -> dict[str, int]:
        """Frames rendered around the playhead, as far as the renderer's kind says it can keep
        up (a diffusion frame costs seconds, a mesh frame milliseconds).

        None while a drag runs: the next mouse move supersedes those frames, and a render ahead
        already under way would hold up that move's frame until it finished; the drag's end
        renders ahead for the state it commits.
        """
        if dragging:
            return {"ahead": 0, "behind": 0}
        kind = renderer_kind(project.render.renderer)
        ahead, behind = kind.preview_span
        return {"ahead": kind.playing_ahead if self.playback.playing else ahead, "behind": behind}

    # ---- key drags -------------------------------------------------------------------------
    def preview_moves(self, moves: list[KeyMove]) -> None:
        """A drag's live preview: one request per event-loop turn, for the latest mouse move
        (the moves that arrived in between would be superseded before they could show)."""
        if self._drag_moves is None:
            QTimer.singleShot(0, self, self._request_drag_preview)
        self._drag_moves = moves

    def end_drag(self, _moves: list[KeyMove] | None = None) -> None:
        """The drag is committed: the command's own preview follows."""
        self._drag_moves = None

    def _request_drag_preview(self) -> None:
        moves, self._drag_moves = self._drag_moves, None
        if moves is not None:
            self.request(moved_copy(self.session.project, moves)[0])

    # ---- what comes back ------------------------------------------------------------------
    def _frame_ready(self, result: FrameResult) -> None:
        """Newest generation wins; a diffusion frame arrives as its refinement steps first."""
        if result.generation < self._shown_generation or self.session.closing:
            return
        if result.generation == self._shown_generation and not result.final and self._final_shown:
            return  # a late step of a request whose final frame is already on screen
        self._shown_generation = result.generation
        self._final_shown = result.final
        self.viewport.show_frame(result.image, result.landmarks)
        if result.final:
            if self._refining:
                # the refining steps' line gives way to what the renderer says of its
                # settings (a test pattern, say), or to nothing
                self.notices.clear_status()
                self.notices.standing(notice_of(self.session.project.render))
                self._refining = False
            self.frameShown.emit(result.index)
            self.settled.emit()
        else:
            self._refining = True
            self.notices.status(
                "Mesh preview, refining…" if result.step == 0
                else f"Refining: step {result.step} of {result.total}")
            self.frameRefined.emit(result.index, result.step)

    def _failed(self, generation: int, error: BaseException) -> None:
        """A preview the project's settings cannot give (say, the diffusion renderer in an
        installation without torch) is explained once in a dialog and on the viewport; every
        later request fails the same way and only notes it in the status bar."""
        if generation < self._shown_generation:
            return  # a newer request's frame is already on screen
        if isinstance(error, InputError):
            text = as_sentence(in_studio_words(str(error)))
            self.viewport.clear()
            self.viewport.set_message("No preview", text)
            if text != self._problem:
                self._problem = text
                self.notices.error(text)
        self.notices.status(f"Preview failed: {error}", 10_000)
        self.settled.emit()
