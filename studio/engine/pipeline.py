"""A project in, a finished file out: analysis, controls, the renderer, frames to the encoder.

The command line's `studio render` and the studio's export both call `render_project`, so an
export from the app equals `studio render` of the same project, frame for frame.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.engine.inputs import Analysis, analyze
from studio.engine.cancel import Cancel, Log, Progress, check_cancel, quiet
from studio.engine.frames import prepare_renderer, render_frames
from studio.export import FORMATS, ExportFormat, check_output, export_clip
from studio.export.early_audio import EarlyAudio


@dataclass(frozen=True)
class Output:
    """Where and what to write: a path, a studio.export.FORMATS name (None: from the path's
    suffix), a transparent background, and the frames `start` to `end` inclusive (None: to the
    clip's last frame). The sound of a range starts at its first frame."""

    path: Path
    format: str | None = None
    transparent: bool = False
    start: int = 0
    end: int | None = None


def output_format(output: Output) -> ExportFormat:
    """The format to write, checked (and the folder made) before any time is spent."""
    fmt = check_output(output.path, output.format)
    if output.transparent and not fmt.alpha:
        if fmt.name != "png":
            raise InputError(f"{Path(output.path).name}: {fmt.description} cannot hold a "
                             "transparent background; use a .mov file or a folder of PNG frames")
        fmt = FORMATS["png-alpha"]
    return fmt


def render_project(project: Project, output: Output | Path, *, analysis: Analysis | None = None,
                   progress: Progress | None = None, cancel: Cancel | None = None,
                   log: Log = quiet, workers: int | None = None) -> Path:
    """Render the project (or the output's frame range) to the output; the file appears only
    once complete. `analysis` is reused when given (the studio has it), else made here."""
    from studio.render.registry import renderer_kind, settings_of

    # 1. a bad output path, a renderer this installation lacks or settings it refuses fail
    # before any analysis
    output = output if isinstance(output, Output) else Output(Path(output))
    fmt = output_format(output)
    renderer_kind(project.render.renderer).require()
    settings_of(project.render)
    with tempfile.TemporaryDirectory(prefix="studio-export-") as scratch:
        # the sound track is encoded from now on, beside the analysis, where a core is free
        voice = _early_voice(project, output, fmt, Path(scratch))
        try:
            return _render(project, output, fmt, analysis, voice, progress, cancel, log,
                           workers)
        finally:
            if voice is not None:
                voice.stop()


def _render(project: Project, output: Output, fmt: ExportFormat, analysis: Analysis | None,
            voice: EarlyAudio | None, progress: Progress | None,
            cancel: Cancel | None, log: Log, workers: int | None) -> Path:
    # 2. analysis (the renderer is prepared while the voice is analysed in its own process,
    # where it is), controls, the range
    early: dict[str, object] = {}
    if analysis is None:
        analysis = analyze(project, log, cancel, with_rig=lambda rig: _prepare_early(project, rig, early))
    from studio.engine.controls import controls_for

    controls = controls_for(project, analysis)
    last = len(controls) - 1
    end = last if output.end is None else output.end
    if not 0 <= output.start <= end <= last:
        raise InputError(f"cannot export frames {output.start}-{end}: the clip has frames 0-{last}")
    check_cancel(cancel)
    # 3. the renderer, once (its error, if any, is reported here, in the order it always was)
    if "error" in early:
        raise early["error"]
    renderer = early["renderer"] if "renderer" in early else prepare_renderer(project, analysis.rig)
    check_cancel(cancel)
    # 4. stream frames to the encoder, with the sound from the range's first frame on
    audio = None  # no voice, or a format without sound (a PNG sequence)
    if voice is not None:
        audio, fmt = voice.result()  # encoded already: the encoder copies it
    frames = render_frames(renderer, controls, output.start, end + 1, with_alpha=fmt.alpha,
                           workers=workers)
    try:
        return export_clip(frames, output.path, fps=project.fps, frame_count=end + 1 - output.start,
                           audio_path=audio, format=fmt, progress=progress, cancel=cancel)
    finally:
        frames.close()  # stops the render threads at once on a cancel or an error


def _early_voice(project: Project, output: Output, fmt: ExportFormat,
                 scratch: Path) -> EarlyAudio | None:
    """The output's sound, being encoded: from the range's first frame, for its frames (to the
    clip's end when the range is open: the clip's frames cover the whole voice)."""
    if not EarlyAudio.wanted(project.audio, fmt):
        return None
    count = None if output.end is None else output.end + 1 - output.start
    return EarlyAudio(Path(project.audio), fmt, fps=project.fps, folder=scratch,
                      start=output.start / project.fps, frame_count=count)


def _prepare_early(project: Project, rig, early: dict[str, object]) -> None:
    """The renderer prepared (or its error kept), and the conditioning imported, while the
    voice is still being analysed in its own process."""
    try:
        early["renderer"] = prepare_renderer(project, rig)
    except Exception as error:  # noqa: BLE001 - raised where the renderer is used
        early["error"] = error
    import studio.engine.controls  # noqa: F401 - scipy.ndimage and the tracks: a third of a second
