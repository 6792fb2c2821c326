"""The preview: the playhead frame (and frames around it) requested from the jobs worker.

Each document change supersedes any stale request; the worker renders off the UI thread and a
queued signal hands the frame back. A key drag previews only the latest mouse move of an
event-loop turn, without render-ahead, so nothing queued holds up the next move.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from studio.doc.project import Project
from studio.jobs import FrameResult, FrameSignals, PreviewRequest, Scene
from studio.jobs.engine import scene_for, signals_for
from studio.ui import commands
from studio.ui.media import audio_key
from studio.ui.timeline.keys import KeyMove, moved_copy


class PreviewWiring:
    """MainWindow's requests to the preview worker and the frames it sends back."""

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
