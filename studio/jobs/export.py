"""An export as one background job: a snapshot of the project through the headless engine.

The job owns its own renderer, so the preview worker keeps serving the viewport while it runs;
the frames are the engine's (studio.engine), so an export from the app equals `studio render`
of the same project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.project import Project, VisemeSegment
from studio.engine.inputs import Analysis, analyze_audio
from studio.engine.cancel import CancelToken
from studio.engine.pipeline import Output, render_project


@dataclass(frozen=True)
class ExportSettings:
    path: Path
    format: str  # a studio.export.FORMATS name: mp4, mov, png, png-alpha
    width: int
    height: int
    fps: int
    start: int  # first and last frame, inclusive, at `fps`
    end: int

    @property
    def frame_count(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class ExportSource:
    """What an export renders: a snapshot of the project, taken on the UI thread and handed
    over (the export sets its size and rate on it), and what the studio analysed for it."""

    project: Project
    rig: FaceRig
    performance: Performance | None = None
    visemes: list[VisemeSegment] | None = None


def run_export(source: ExportSource, settings: ExportSettings, token: CancelToken,
               progress: Callable[[int, int], None] | None = None) -> Path:
    """Render and encode the source's project; its performance is reused when it was analysed
    at `settings.fps`."""
    project, performance, visemes = source.project, source.performance, source.visemes
    project.fps, project.width, project.height = settings.fps, settings.width, settings.height
    if project.audio and (performance is None or performance.fps != settings.fps):
        performance, visemes = analyze_audio(project)
    elif not project.audio:
        performance, visemes = None, None
    token.raise_if_cancelled()
    analysis = Analysis(source.rig, performance, list(visemes or []), project.duration)
    output = Output(Path(settings.path), settings.format, start=settings.start, end=settings.end)
    return render_project(project, output, analysis=analysis, progress=progress, cancel=token)
