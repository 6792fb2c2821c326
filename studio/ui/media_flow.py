"""Dropped media -> analysis -> lip sync, off the UI thread.

The portrait and a quick loudness pass of the voice come first, so the portrait talks within a
second or two; lip sync keeps both cores busy for seconds and starts only once that first frame
is on screen. Results are kept per input in the session's `rigs` and `audio`. A transcript from
the media panel runs lip sync again, aligned to its words.
"""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.analysis.face_rig import FaceRig
from studio.conditioning.visemes import resolve
from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs.engine import scene_for
from studio.ui import commands
from studio.jobs import TaskRunner
from studio.ui.editing import DocumentEditing
from studio.ui.media import (
    AudioAnalysis, Dropped, analyze_portrait_file, audio_key, full_audio, quick_audio,
    warm_up_analysis,
)
from studio.ui.notices import Notices, ToUiThread
from studio.ui.playback import sound_library_problem
from studio.ui.session import Session
from studio.ui.timeline.view import Timeline

logger = logging.getLogger(__name__)

_warmed_up = False  # the analysis warm-up runs once per process, for the first window


class MediaAnalysisFlow(QObject):
    """Background analysis of the project's media and the lip-sync pass; results go in the
    session's `rigs` and `audio`."""

    analysisFinished = Signal()

    def __init__(self, session: Session, tasks: TaskRunner, to_ui: ToUiThread, notices: Notices,
                 editing: DocumentEditing, timeline: Timeline) -> None:
        super().__init__()
        self.session = session
        self.tasks = tasks
        self.to_ui = to_ui
        self.notices = notices
        self.editing = editing  # analysed media and lip sync go in through the undo stack
        self.timeline = timeline  # fitted to a new voice clip
        self._pending: set[object] = set()  # markers of the analyses under way
        self._fill_visemes: set[tuple] = set()  # audio keys whose lip sync fills the track
        self._after_frame: list = []  # work that waits until the new project's frame is shown

    @property
    def busy(self) -> bool:
        """Some analysis or lip sync is still running."""
        return bool(self._pending)

    def add(self, dropped: Dropped) -> None:
        """Dropped or chosen media: analysed, then put in the project as one undo step."""
        self._analyse(dropped, apply=True)

    def warm_up(self) -> None:
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

    def ensure_analysis(self) -> None:
        """Start background analysis for whatever the project needs and is not cached yet."""
        project = self.session.project
        portrait = Path(project.portrait) if project.portrait else None
        audio = Path(project.audio) if project.audio else None
        analysis = self.session.analysis()
        if portrait is not None and project.portrait not in self.session.rigs or (
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
        if marker in self._pending:
            return
        self._pending.add(marker)
        snapshot = copy.deepcopy(self.session.project)
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

        names = _names(dropped)
        self.notices.status(f"Analysing {names}…")
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
            self._pending.discard(marker)
            if not self.session.closing:
                fn()

        self.tasks.start(
            name, work,
            on_done=lambda r: self.to_ui.post(lambda: finish(lambda: done(r))),
            on_error=lambda e: self.to_ui.post(lambda: finish(lambda: self._analysis_failed(e))),
            on_cancelled=lambda: self.to_ui.post(lambda: finish(lambda: None)),
        )

    def _analysis_done(self, dropped: Dropped, apply: bool, rig: FaceRig | None,
                       audio: AudioAnalysis | None, prepared: tuple[str, object] | None) -> None:
        session = self.session
        if prepared is not None:
            session.prepared = prepared
        if rig is not None:
            session.rigs[str(dropped.portrait)] = rig
            if rig.faces_found > 1:
                self.notices.status(
                    f"{rig.faces_found} faces in {dropped.portrait.name}: animating the largest",
                    8000)
        project = copy.deepcopy(session.project)
        if audio is not None:
            if str(dropped.audio) != project.audio:
                project.transcript = None  # another voice: the old words are not what it says
            project.audio = str(dropped.audio)
            key = audio_key(project)
            if key not in session.audio or not session.audio[key].complete:
                session.audio[key] = audio
        if apply:
            self._attach_media(dropped, audio)
        else:
            session.analysis_changed()
        if audio is not None:
            quick = session.audio[audio_key(project)]
            # lip sync keeps both cores busy for seconds: it starts once the talking portrait is
            # on screen, so it does not slow the first frame down
            self._after_next_frame(lambda: self._lip_sync(quick, apply))
        else:
            self._analysis_ready()

    def _after_next_frame(self, fn) -> None:
        """Run `fn` once the viewport has shown the current project's frame (at once when there
        is no portrait to show)."""
        if self.session.rig() is None or self.session.closing:
            fn()
        else:
            self._after_frame.append(fn)

    def run_after_frame(self) -> None:
        """The current project's frame is on screen (or could not be made)."""
        waiting, self._after_frame = self._after_frame, []
        for fn in waiting:
            fn()

    def _lip_sync(self, quick: AudioAnalysis, apply: bool) -> None:
        """Replace the quick audio pass with lip sync and prosody; `apply` fills the viseme track."""
        project = copy.deepcopy(self.session.project)
        key = audio_key(project)
        if apply:
            self._fill_visemes.add(key)
        if quick.complete:
            self._analysis_ready()
            return

        def done(full: AudioAnalysis) -> None:
            current = self.session.project
            if key in self._fill_visemes and audio_key(current) == key and not current.tracks.visemes:
                self.editing.push_with_blinks(f"Lip sync {quick.clip.path.name}", [
                    commands.TrackEditCommand(self.session.doc, "Fill visemes", {"visemes": []},
                                              {"visemes": full.visemes}, [])])
            else:
                self.session.analysis_changed()
            self._fill_visemes.discard(key)

        self._run_lip_sync(project, quick, done)

    def _run_lip_sync(self, project: Project, quick: AudioAnalysis, done) -> None:
        """Lip sync of `project`'s voice on a task, kept in `audio`; then `done(full)`, which
        may return what the status bar says then (else "Ready")."""
        key = audio_key(project)
        marker = ("lipsync", key)
        if marker in self._pending:
            return
        self._pending.add(marker)
        self.notices.status(f"Lip sync for {quick.clip.path.name}…")

        def finish(full: AudioAnalysis) -> None:
            self.session.audio[key] = full
            self._analysis_ready(done(full) or "Ready")

        self._start_task("lipsync", marker, lambda token: full_audio(quick, project, token), finish)

    def apply_transcript(self, text: str) -> None:
        """The media panel's transcript: lip sync runs again, aligned to it; the transcript and
        the new automatic visemes then go in as one undo step (the artist's segments stay).
        Without a voice clip analysed yet it is only stored: its lip sync will use it."""
        session = self.session
        trial = copy.deepcopy(session.project)
        trial.transcript = text.strip() or None
        if trial.transcript == session.project.transcript:
            return
        quick = session.analysis()
        if quick is None:
            session.undo_stack.push(commands.SetSettingCommand(session.doc, "transcript",
                                                               trial.transcript))
            return
        analysis = session.analysis(trial)
        if analysis is not None and analysis.complete:
            self.notices.status(self._set_transcript(trial, analysis) or "", 8000)
        else:
            self._run_lip_sync(trial, quick, lambda full: self._set_transcript(trial, full))

    def _set_transcript(self, trial: Project, full: AudioAnalysis) -> str | None:
        """`trial`'s transcript and its lip sync into the project, if its voice is still the
        one aligned (else the result is only kept for later); returns what to tell the user."""
        doc = self.session.doc
        project = copy.copy(doc.project)
        project.transcript = trial.transcript
        if audio_key(project) != audio_key(trial):
            return None
        user = [s for s in doc.project.tracks.visemes if s.source == "user"]
        self.editing.push_with_blinks("Transcript", [
            commands.SetSettingCommand(doc, "transcript", trial.transcript),
            commands.TrackEditCommand(doc, "Lip sync to the transcript",
                                      {"visemes": doc.items("visemes")},
                                      {"visemes": resolve(full.visemes + user)}, [])])
        words = len(trial.transcript.split()) if trial.transcript else 0
        return (f"Lip sync follows the transcript ({words} words)" if words
                else "Lip sync from the voice alone (no transcript)")

    def _attach_media(self, dropped: Dropped, audio: AudioAnalysis | None) -> None:
        """One undo step that puts newly analysed media (and the clip's length) in the project."""
        names = _names(dropped)
        with self.session.batched(f"Add {names}"):
            self._push_media(dropped, audio)
        if dropped.audio is not None:
            self.timeline.fit()

    def _push_media(self, dropped: Dropped, audio: AudioAnalysis | None) -> None:
        doc, stack = self.session.doc, self.session.undo_stack
        if dropped.portrait is not None:
            stack.push(commands.SetSettingCommand(doc, "portrait", str(dropped.portrait)))
        if dropped.audio is not None and audio is not None:
            if doc.project.transcript and str(dropped.audio) != doc.project.audio:
                # another voice: lip sync must not align it to the words of the one before
                stack.push(commands.SetSettingCommand(doc, "transcript", None))
            stack.push(commands.SetSettingCommand(doc, "audio", str(dropped.audio)))
            # rounded as the project file stores it, so a saved project reopens identical
            stack.push(commands.SetSettingCommand(doc, "duration", round(audio.clip.duration, 6)))
            if doc.project.tracks.visemes:  # a new voice: the old lip sync no longer fits
                stack.push(commands.TrackEditCommand(
                    doc, "Clear lip sync", {"visemes": doc.items("visemes")}, {"visemes": []}, []))
            refresh = commands.refresh_blinks_command(doc, self.session.blink_performance())
            if refresh is not None:
                stack.push(refresh)

    def _analysis_ready(self, message: str = "Ready") -> None:
        self.notices.status(message, 8000 if message != "Ready" else 3000)
        self.analysisFinished.emit()

    def _analysis_failed(self, error: BaseException) -> None:
        self.notices.clear_status()
        if isinstance(error, InputError):
            self.notices.error(str(error))
        else:
            logger.error("analysis failed", exc_info=error)
            self.notices.error(f"Analysis failed unexpectedly: {error}")


def _names(dropped: Dropped) -> str:
    """How the status bar and the undo history name a drop: "portrait.jpg and speech.wav"."""
    return " and ".join(p.name for p in (dropped.portrait, dropped.audio) if p)
