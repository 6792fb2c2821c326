"""What the inputs say, before any track is applied: the portrait's rig and the voice's
performance, analysed side by side, with the audio decoded once and handed on."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from studio.analysis.audio import AudioClip
from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.file_kinds import AUDIO_FORMATS
from studio.doc.files import check_regular_file
from studio.doc.project import Project, VisemeSegment
from studio.engine.cancel import Cancel, Log, check_cancel, quiet


@dataclass
class Analysis:
    """Reused by every render of the project. `performance` is None without a voice clip (the
    portrait then follows the artist's tracks alone); `duration` fixes the frame count."""

    rig: FaceRig
    performance: Performance | None
    visemes: list[VisemeSegment]
    duration: float


def check_inputs(project: Project) -> None:
    """Both inputs named and regular files: a folder, /dev/zero or a named pipe is refused by
    what it is, before any decoding."""
    if not project.portrait:
        raise InputError("no portrait: give a portrait photo (studio render PORTRAIT AUDIO)")
    if not project.audio:
        raise InputError("no voice clip: give an audio file (studio render PORTRAIT AUDIO)")
    check_regular_file(project.portrait, "portrait", "give a photo (JPEG, PNG, ...)")
    check_regular_file(project.audio, "voice clip",
                       f"give an audio file ({AUDIO_FORMATS})")


def analyze_audio(project: Project, clip: AudioClip | None = None
                  ) -> tuple[Performance, list[VisemeSegment]]:
    """Lip sync, prosody and loudness of the project's voice clip at its frame rate; `clip` is
    the already decoded audio when the caller has it (it is then not decoded again)."""
    from studio.analysis.speech import analyze_performance

    return analyze_performance(clip if clip is not None else project.audio, project.fps,
                               transcript=project.transcript, mode=project.lipsync,
                               seed=project.seed)


def _portrait(path: str) -> FaceRig:
    from studio.analysis.portrait import analyze_portrait

    return analyze_portrait(path)


def analyze(project: Project, log: Log = quiet, cancel: Cancel | None = None, *,
            with_rig: Callable[[FaceRig], None] | None = None) -> Analysis:
    """The portrait's rig and the voice's performance, analysed side by side.

    The voice clip is decoded once, here, first (an audio error is reported first). Where a
    fork is safe (engine/voice_process.py) the voice is then analysed in a child process while
    this one analyses the portrait (cached by image hash) and calls `with_rig(rig)`, so a caller
    can prepare its renderer before the lip sync is done. Elsewhere the portrait is analysed on
    a thread while the voice is analysed here (MediaPipe, OpenCV's inpainting and the ffmpeg
    decoder run outside the GIL), and `with_rig` is not called.
    """
    from studio.analysis.audio import load_audio
    from studio.engine.voice_process import ChildProcess

    check_inputs(project)
    clip = load_audio(project.audio)
    check_cancel(cancel)
    # Both the voice's analysis and the conditioning use scipy.ndimage: imported once, before
    # the fork, rather than once in each process (a third of a second).
    import scipy.ndimage  # noqa: F401

    voice = ChildProcess.start(lambda: analyze_audio(project, clip))
    if voice is None:
        return _analyze_in_process(project, clip, log, cancel)
    try:
        rig = _portrait(project.portrait)
        _notice(rig, log)
        check_cancel(cancel)
        if with_rig is not None:
            with_rig(rig)
        performance, visemes = voice.result(cancel)
    finally:
        voice.stop()
    check_cancel(cancel)
    return Analysis(rig, performance, visemes, clip.duration)


def _analyze_in_process(project: Project, clip: AudioClip, log: Log,
                        cancel: Cancel | None) -> Analysis:
    with ThreadPoolExecutor(1, thread_name_prefix="studio-portrait") as pool:
        portrait: Future[FaceRig] = pool.submit(_portrait, project.portrait)
        try:
            performance, visemes = analyze_audio(project, clip)
        except BaseException:
            portrait.cancel()
            raise
        rig = portrait.result()
    _notice(rig, log)
    check_cancel(cancel)
    # the decoded length is what the tracks were analysed over (a container's stated length
    # can differ by a few ms: mp3 padding)
    return Analysis(rig, performance, visemes, clip.duration)


def _notice(rig: FaceRig, log: Log) -> None:
    from studio.analysis.portrait import faces_notice

    notice = faces_notice(rig)
    if notice:
        log(notice)
