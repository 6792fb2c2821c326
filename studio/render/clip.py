"""A project in, a finished clip out: the headless engine behind `studio render` and `studio init`.

The steps are the same ones the studio's worker runs for a preview, done once for the whole clip:
analyse the portrait (cached per image) and the voice, turn the tracks into ControlFrames,
render them one by one and stream them to the encoder, so memory stays flat for any length.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.conditioning.blinks import refresh_auto_blinks
from studio.conditioning.control_frame import ControlFrame
from studio.conditioning.styles import apply_preset, resolve_preset
from studio.conditioning.styles import shape_performance
from studio.conditioning.sequence import ControlSequence, build_controls
from studio.doc.errors import Cancelled, InputError
from studio.doc.file_kinds import AUDIO_FORMATS
from studio.doc.files import check_regular_file
from studio.doc.project import Project, VisemeSegment
from studio.render.base import Renderer
from studio.render.registry import create_renderer

Log = Callable[[str], None]
Progress = Callable[[int, int], None]


def _quiet(_: str) -> None:
    """The default log: say nothing."""


def set_style(project: Project, name: str) -> None:
    """Apply a speaking-style preset to the project's style keys and blink rate."""
    apply_preset(project, resolve_preset(name))


@dataclass
class Analysis:
    """What the inputs say, before any track is applied: reused by every render of the project."""

    rig: FaceRig
    performance: Performance
    visemes: list[VisemeSegment]
    duration: float


def analyze(project: Project, log: Log = _quiet) -> Analysis:
    """Analyse the project's portrait and voice clip (the audio is checked first: it is quick)."""
    from studio.analysis.audio import probe_audio
    from studio.analysis.portrait import analyze_portrait, faces_notice
    from studio.analysis.speech import analyze_performance

    # 1. both inputs must be there
    if not project.portrait:
        raise InputError("no portrait: give a portrait photo (studio render PORTRAIT AUDIO)")
    if not project.audio:
        raise InputError("no voice clip: give an audio file (studio render PORTRAIT AUDIO)")
    # only regular files: a folder, /dev/zero or a named pipe is refused by what it is
    check_regular_file(project.portrait, "portrait", "give a photo (JPEG, PNG, ...)")
    check_regular_file(project.audio, "voice clip",
                       f"give an audio file ({AUDIO_FORMATS})")
    # 2. the voice clip's length fixes the frame count
    duration = probe_audio(project.audio).duration
    # 3. the portrait (cached by image hash)
    rig = analyze_portrait(project.portrait)
    notice = faces_notice(rig)
    if notice:
        log(notice)
    # 4. the voice: lip sync, prosody, loudness
    performance, visemes = analyze_performance(project.audio, project.fps,
                                               transcript=project.transcript,
                                               mode=project.lipsync, seed=project.seed)
    # A container's stated length can differ from the decoded samples by a few ms (mp3
    # padding); the decoded length is what the tracks were analysed over, so it wins.
    if math.ceil(round(duration * project.fps, 6)) != performance.frame_count:
        duration = performance.frame_count / project.fps
    return Analysis(rig, performance, visemes, duration)


def controls_for(project: Project, analysis: Analysis) -> ControlSequence:
    """The project's ControlFrames: its tracks over the automatic performance.

    The viseme track stored in the project wins over the automatic one, so edits to it (and
    segments the artist overrode) reach the mouth; an empty track means "from the audio".
    """
    project = copy.copy(project)
    project.duration = analysis.duration
    if not project.tracks.visemes:
        project.tracks = copy.copy(project.tracks)
        project.tracks.visemes = analysis.visemes
    performance = shape_performance(analysis.performance, resolve_preset(project.style_preset))
    return build_controls(project, performance)


def fill_automatic_tracks(project: Project, log: Log = _quiet) -> str:
    """Analyse the inputs and write the automatic tracks into the project, ready to edit."""
    analysis = analyze(project, log)
    project.duration = analysis.duration
    project.tracks.visemes = list(analysis.visemes)
    if not project.tracks.style:
        set_style(project, project.style_preset)
    # after the preset, which sets the blink rate the automatic blinks are drawn from
    project.tracks.blinks = refresh_auto_blinks(project, analysis.performance)
    auto = sum(1 for b in project.tracks.blinks if b.source == "auto")
    return (f"{analysis.duration:.1f} s, {project.frame_count()} frames, "
            f"{len(project.tracks.visemes)} viseme segments, {auto} automatic blinks")


def save_project_file(project: Project, path: Path) -> None:
    from studio.doc.io import save_project

    save_project(project, path)


def prepare_renderer(project: Project, rig: FaceRig) -> Renderer:
    renderer = create_renderer(project.render, project.seed)
    renderer.prepare(rig, project.width, project.height)
    return renderer


def iter_frames(renderer: Renderer, frames: ControlSequence | list[ControlFrame],
                with_alpha: bool = False) -> Iterator[np.ndarray]:
    """Rendered frames in order, pulled one at a time by the encoder.

    A renderer that denoises several frames together (diffusion) gets them a batch at a time;
    the mesh renderer is fastest frame by frame.
    """
    render_batch = getattr(renderer, "render_batch", None)
    if render_batch is None or with_alpha:
        for frame in frames:
            yield renderer.render(frame, with_alpha=with_alpha)
        return
    size = getattr(renderer, "batch_size", 4)
    frames = list(frames)
    for start in range(0, len(frames), size):
        yield from render_batch(frames[start:start + size])


def render_clip(project: Project, out: Path, *, transparent: bool = False,
                progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                log: Log = _quiet) -> Path:
    """Render the whole project to `out`; the file appears only once it is complete."""
    from studio.export import FORMATS, check_output, export_clip
    from studio.render.diffusion.availability import require_diffusion

    # 1. a bad output path, or a renderer this installation lacks, fails before any analysis
    fmt = check_output(out)
    if project.render.renderer == "diffusion":
        require_diffusion()
    if transparent and not fmt.alpha:
        if fmt.name != "png":
            raise InputError(f"{out.name}: {fmt.description} cannot hold a transparent "
                             "background; use a .mov file or a folder of PNG frames")
        fmt = FORMATS["png-alpha"]
    # 2. analysis, signals, renderer
    analysis = analyze(project, log)
    controls = controls_for(project, analysis)
    renderer = prepare_renderer(project, analysis.rig)
    if cancel is not None and cancel():
        raise Cancelled()
    # 3. stream frames to the encoder
    return export_clip(iter_frames(renderer, controls, fmt.alpha), out, fps=project.fps,
                       frame_count=len(controls), audio_path=project.audio, format=fmt.name,
                       progress=progress, cancel=cancel)
