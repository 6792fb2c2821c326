"""The studio's session: the model every controller of the window works on.

One object holds what the studio knows and the views show: the Document and its undo stack, the
analyses of its media (a FaceRig per portrait, an AudioAnalysis per voice clip, fps and seed),
the per-frame signals made from them (cached until the next change) and the playhead. Views and
controllers never keep copies of these; they read them here and listen to two signals:

- `changed(parts)`: the document's parts that changed, once per undo step however many commands
  it took (a batched edit is reported at its end); analysis results arriving report "media";
- `replaced()`: another document (new, opened, recovered), with an empty undo stack.
"""

from __future__ import annotations

import copy

from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal

from studio.analysis.face_rig import FaceRig
from studio.doc.document import Document
from studio.doc.project import Project
from studio.jobs import FrameSignals
from studio.jobs.engine import signals_for
from studio.jobs.export import ExportSettings, ExportSource
from studio.ui.media import AudioAnalysis, audio_key
from studio.ui.undo import BatchedUndoStack


class Session(QObject):
    """The document, its undo stack, the media analyses, the frame signals and the playhead."""

    changed = Signal(object)  # frozenset[str]: the document's parts that changed
    replaced = Signal()  # another document is shown

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = Document()
        self.undo_stack = BatchedUndoStack(self.redraw_once, self)
        self.frame = 0  # the playhead
        self.rigs: dict[str, FaceRig] = {}  # by portrait path
        self.audio: dict[tuple, AudioAnalysis] = {}  # by audio_key: voice, fps, seed…
        self.prepared: tuple[str, object] | None = None  # (scene key, renderer) from analysis
        self.closing = False  # the window is closing: late results are dropped
        # what the export dialog was last accepted with for this document, and the frame
        # count then: the next export starts from it (studio.ui.export_dialog)
        self.last_export: tuple[ExportSettings, int] | None = None
        self._signals: FrameSignals | None = None
        self._batch: set[str] | None = None  # parts changed inside a batched edit
        self.doc.events.connect(self._doc_changed)

    @property
    def project(self) -> Project:
        return self.doc.project

    def set_document(self, doc: Document) -> None:
        """Show another document: a fresh undo history and the playhead at the start."""
        self.doc.events.disconnect(self._doc_changed)
        self.doc = doc
        self.doc.events.connect(self._doc_changed)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.frame = 0
        self._signals = None
        self.last_export = None
        self.replaced.emit()

    # ---- what the project's media gave -----------------------------------------------------
    def rig(self) -> FaceRig | None:
        """The analysed portrait of the project, once its analysis is done."""
        return self.rigs.get(self.project.portrait or "")

    def analysis(self, project: Project | None = None) -> AudioAnalysis | None:
        """The analysis of `project`'s voice (the document's by default), if there is one yet."""
        return self.audio.get(audio_key(project or self.project))

    def export_source(self) -> ExportSource:
        """The project as it is now, copied (the artist edits on while it renders), with its
        analysed portrait and voice: what an export or a queued render renders."""
        project = copy.deepcopy(self.project)
        analysis = self.analysis(project)
        return ExportSource(project, self.rigs[project.portrait],
                            analysis.performance if analysis else None,
                            analysis.visemes if analysis else None)

    def analysis_changed(self) -> None:
        """New analysis results change what the views and the frames show, as new media do."""
        self._doc_changed(frozenset({"media"}))

    def blink_performance(self):
        """The voice's performance for blink timing (pauses): the lip-sync pass when there is one.

        The pauses depend on the voice alone, so an analysis under another seed serves as well.
        """
        project = self.project
        if not project.audio:
            return None
        analysis = self.analysis()
        if analysis is not None and analysis.complete:
            return analysis.performance
        same_voice = [a for key, a in self.audio.items()
                      if key[:2] == (project.audio, project.fps) and a.complete]
        if same_voice:
            return same_voice[0].performance
        return analysis.performance if analysis is not None else None

    def signals(self) -> FrameSignals:
        """The document's per-frame signals (needs the portrait's rig), kept until a change."""
        if self._signals is None:
            self._signals = self.signals_of(self.project)
        return self._signals

    def signals_of(self, project: Project) -> FrameSignals:
        """The per-frame signals of any version of the project, an uncommitted drag's say."""
        analysis = self.analysis(project)
        return signals_for(project, self.rigs[project.portrait],
                           analysis.performance if analysis else None,
                           analysis.visemes if analysis else None)

    # ---- changes -------------------------------------------------------------------------
    @contextmanager
    def batched(self, text: str):
        """One undo step of several commands, reported once when it is complete."""
        with self.redraw_once():
            self.undo_stack.beginMacro(text)
            try:
                yield
            finally:
                self.undo_stack.endMacro()

    @contextmanager
    def redraw_once(self):
        """Document changes inside are collected and reported once at the end: redrawing the
        timeline after each command of a step would cost tens of ms apiece."""
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

    def _doc_changed(self, parts: frozenset[str]) -> None:
        if self._batch is not None:
            self._batch |= parts
            return
        self._signals = None
        self.frame = min(self.frame, self.project.frame_count() - 1)
        self.changed.emit(parts)
