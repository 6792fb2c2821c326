"""Dropped media -> analysis -> lip sync, off the UI thread.

The portrait and a quick loudness pass of the voice come first, so the portrait talks within a
second or two; lip sync keeps both cores busy for seconds and starts only once that first frame
is on screen. Results are kept per input in the window's `rigs` and `audio`. A transcript from
the media panel runs lip sync again, aligned to its words.
"""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from studio.analysis.face_rig import FaceRig
from studio.conditioning.visemes import resolve
from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs.engine import scene_for
from studio.ui import commands
from studio.ui.media import (
    AudioAnalysis, Dropped, analyze_portrait_file, audio_key, classify, full_audio, quick_audio,
    dropped_files, warm_up_analysis,
)
from studio.ui.playback import sound_library_problem

logger = logging.getLogger(__name__)

_warmed_up = False  # the analysis warm-up runs once per process, for the first window


class MediaAnalysisFlow:
    """MainWindow's drops, background analysis of the media and the lip-sync pass."""

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

        names = _names(dropped)
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
            self._analysis_ready()

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
            self._analysis_ready()
            return

        def done(full: AudioAnalysis) -> None:
            current = self.doc.project
            if key in self._fill_visemes and audio_key(current) == key and not current.tracks.visemes:
                self._push_with_blinks(f"Lip sync {quick.clip.path.name}", [
                    commands.TrackEditCommand(self.doc, "Fill visemes", {"visemes": []},
                                              {"visemes": full.visemes}, [])])
            else:
                self._doc_changed(frozenset({"media"}))
            self._fill_visemes.discard(key)

        self._run_lip_sync(project, quick, done)

    def _run_lip_sync(self, project: Project, quick: AudioAnalysis, done) -> None:
        """Lip sync of `project`'s voice on a task, kept in `audio`; then `done(full)`."""
        key = audio_key(project)
        marker = ("lipsync", key)
        if marker in self._pending_analysis:
            return
        self._pending_analysis.add(marker)
        self.statusBar().showMessage(f"Lip sync for {quick.clip.path.name}…")

        def finish(full: AudioAnalysis) -> None:
            self.audio[key] = full
            done(full)
            self._analysis_ready()

        self._start_task("lipsync", marker, lambda token: full_audio(quick, project, token), finish)

    def apply_transcript(self, text: str) -> None:
        """The media panel's transcript: lip sync runs again, aligned to it; the transcript and
        the new automatic visemes then go in as one undo step (the artist's segments stay).
        Without a voice clip analysed yet it is only stored: its lip sync will use it."""
        trial = copy.deepcopy(self.doc.project)
        trial.transcript = text.strip() or None
        if trial.transcript == self.doc.project.transcript:
            return
        quick = self.audio.get(audio_key(self.doc.project))
        if quick is None:
            self.undo_stack.push(commands.SetSettingCommand(self.doc, "transcript",
                                                            trial.transcript))
            return
        analysis = self.audio.get(audio_key(trial))
        if analysis is not None and analysis.complete:
            self._set_transcript(trial, analysis)
        else:
            self._run_lip_sync(trial, quick, lambda full: self._set_transcript(trial, full))

    def _set_transcript(self, trial: Project, full: AudioAnalysis) -> None:
        """`trial`'s transcript and its lip sync into the project, if its voice is still the
        one aligned (else the result is only kept for later)."""
        project = copy.copy(self.doc.project)
        project.transcript = trial.transcript
        if audio_key(project) != audio_key(trial):
            return
        user = [s for s in self.doc.project.tracks.visemes if s.source == "user"]
        self._push_with_blinks("Transcript", [
            commands.SetSettingCommand(self.doc, "transcript", trial.transcript),
            commands.TrackEditCommand(self.doc, "Lip sync to the transcript",
                                      {"visemes": self.doc.items("visemes")},
                                      {"visemes": resolve(full.visemes + user)}, [])])

    def _attach_media(self, dropped: Dropped, audio: AudioAnalysis | None) -> None:
        """One undo step that puts newly analysed media (and the clip's length) in the project."""
        names = _names(dropped)
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

    def _analysis_ready(self) -> None:
        self.statusBar().showMessage("Ready", 3000)
        self.analysisFinished.emit()

    def _analysis_failed(self, error: BaseException) -> None:
        self.statusBar().clearMessage()
        if isinstance(error, InputError):
            self.show_error(str(error))
        else:
            logger.error("analysis failed", exc_info=error)
            self.show_error(f"Analysis failed unexpectedly: {error}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()
        self.open_paths(dropped_files(event.mimeData()))

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


def _names(dropped: Dropped) -> str:
    """How the status bar and the undo history name a drop: "portrait.jpg and speech.wav"."""
    return " and ".join(p.name for p in (dropped.portrait, dropped.audio) if p)
