"""A project's performance written to another tool's format (docs/exchange.md).

    export_performance(project, [Path("talk.tsv"), Path("talk.csv")], ...)

Mouth cues need the viseme track (or, while it is empty, the voice's automatic lip sync); the
curves (Live Link Face CSV, Live2D motion) are the ControlSequence `studio render` conditions
the renderer with (studio.engine.controls_for), so they hold every track and the automatic
performance. The voice is analysed once, and only when something needs it. Writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

from studio.conditioning.sequence import ControlSequence
from studio.doc.errors import InputError
from studio.doc.files import write_atomic
from studio.doc.project import Project
from studio.engine.cancel import Log, quiet
from studio.engine.inputs import Analysis
from studio.exchange import live2d, livelink, rhubarb
from studio.exchange.formats import CueOptions, ExchangeFormat, format_for


def audio_analysis(project: Project, log: Log = quiet) -> Analysis:
    """The voice's performance and lip sync without the portrait: the controls do not read the
    face rig, so the curves need no face analysis. Without a voice, the tracks alone."""
    from studio.engine.inputs import analyze_audio

    if not project.audio:
        return Analysis(None, None, [], project.duration)  # type: ignore[arg-type]
    from studio.analysis.audio import load_audio

    log("analysing the voice clip")
    clip = load_audio(project.audio)
    performance, visemes = analyze_audio(project, clip)
    return Analysis(None, performance, visemes, clip.duration)  # type: ignore[arg-type]


class _Performance:
    """What the exports need, each made on first use from one analysis."""

    def __init__(self, project: Project, analysis: Analysis | None,
                 controls: ControlSequence | None, log: Log) -> None:
        self.project, self._analysis, self._controls, self.log = project, analysis, controls, log

    def analysis(self) -> Analysis:
        if self._analysis is None:
            self._analysis = audio_analysis(self.project, self.log)
        return self._analysis

    def cues(self, options: CueOptions) -> list[rhubarb.MouthCue]:
        p = self.project
        if p.tracks.visemes and p.duration > 0:
            return rhubarb.cues_from_visemes(p.tracks.visemes, p.duration, options.extended)
        a = self.analysis()
        return rhubarb.cues_from_visemes(p.tracks.visemes or a.visemes, a.duration,
                                         options.extended)

    def controls(self) -> ControlSequence:
        if self._controls is None:
            from studio.engine.controls import controls_for

            self._controls = controls_for(self.project, self.analysis())
        return self._controls


def performance_text(fmt: ExchangeFormat, source: _Performance, options: CueOptions) -> str:
    project = source.project
    if fmt.cues:
        sound = str(project.audio or "")
        return rhubarb.write_cues(fmt.name, source.cues(options), sound, options.dat_fps,
                                  options.preston_blair, options.extended)
    arrays = source.controls().arrays()
    if fmt.name == "livelink":
        return livelink.write_livelink(arrays, project.fps)
    return live2d.write_motion3(arrays, project.fps)


def check_outputs(outputs: list[tuple[Path, str | None]], options: CueOptions = CueOptions()
                  ) -> list[tuple[Path, ExchangeFormat]]:
    """Each output with its format, or InputError for the first that cannot be written."""
    checked = [(Path(path), format_for(Path(path), name)) for path, name in outputs]
    rhubarb.check_extended(options.extended)
    if any(f.name == "dat" for _, f in checked) and not (
            rhubarb.DAT_FPS[0] <= options.dat_fps <= rhubarb.DAT_FPS[1]):
        raise InputError(f"the DAT frame rate must be between {rhubarb.DAT_FPS[0]:g} and "
                         f"{rhubarb.DAT_FPS[1]:g} fps")
    for path, _ in checked:
        if path.is_dir():
            raise InputError(f"{path}: is a folder; give a file name")
    return checked


def export_performance(project: Project, outputs: list[tuple[Path, str | None]], *,
                       options: CueOptions = CueOptions(), analysis: Analysis | None = None,
                       controls: ControlSequence | None = None, log: Log = quiet) -> list[Path]:
    """Write each (path, format name or None for the path's ending); returns the paths.

    Every format is checked before any analysis; `analysis` and `controls` are reused when
    the caller has them (the studio and `studio render --cues` do)."""
    checked = check_outputs(outputs, options)
    source = _Performance(project, analysis, controls, log)
    for path, fmt in checked:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, performance_text(fmt, source, options))
    return [path for path, _ in checked]
