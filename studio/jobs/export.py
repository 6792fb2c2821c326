"""An export as one background job: snapshot the project, render every frame, encode with audio.

The job owns its own renderer, so the preview worker keeps serving the viewport while it runs.
"""

from __future__ import annotations

import copy
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio.analysis.audio import ffmpeg_exe
from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.analysis.speech import analyze_performance
from studio.doc.errors import InputError
from studio.doc.project import Project, VisemeSegment
from studio.export import export_clip, resolve_format
from studio.jobs.cancel import CancelToken
from studio.jobs.engine import signals_for
from studio.render.clip import iter_frames, prepare_renderer


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


def run_export(project: Project, rig: FaceRig, settings: ExportSettings, token: CancelToken,
               progress: Callable[[int, int], None] | None = None,
               performance: Performance | None = None,
               visemes: list[VisemeSegment] | None = None) -> Path:
    """Render and encode; `performance` may be reused when it was analysed at `settings.fps`.

    The frames are the headless engine's (studio.render.clip), so an export from the app
    equals `studio render` of the same project.
    """
    # 1. check inputs
    fmt = resolve_format(settings.path, settings.format)
    snapshot = copy.deepcopy(project)
    snapshot.fps, snapshot.width, snapshot.height = settings.fps, settings.width, settings.height
    last = snapshot.frame_count() - 1
    if not 0 <= settings.start <= settings.end <= last:
        raise InputError(
            f"cannot export frames {settings.start}-{settings.end}: the clip has frames 0-{last}")
    # 2. the performance at the export frame rate
    if snapshot.audio and (performance is None or performance.fps != settings.fps):
        performance, visemes = analyze_performance(
            snapshot.audio, settings.fps, transcript=snapshot.transcript, mode=snapshot.lipsync,
            seed=snapshot.seed)
    token.raise_if_cancelled()
    # 3. the engine's renderer and controls for the snapshot
    renderer = prepare_renderer(snapshot, rig)
    signals = signals_for(snapshot, rig, performance, visemes)
    frames = [signals.frame(index) for index in range(settings.start, settings.end + 1)]
    token.raise_if_cancelled()
    # 4. encode, with the audio from the range's first frame on
    with tempfile.TemporaryDirectory(prefix="studio-export-") as scratch:
        audio = _audio_from(snapshot.audio, settings.start / settings.fps, Path(scratch))
        return export_clip(
            iter_frames(renderer, frames, fmt.alpha), settings.path, fps=settings.fps,
            frame_count=settings.frame_count, audio_path=audio, format=fmt.name,
            progress=progress, cancel=token,
        )


def _audio_from(audio: str | None, offset: float, scratch: Path) -> Path | None:
    """The voice clip, cut to start at `offset` seconds, so sound stays aligned to frame 0."""
    if audio is None or offset <= 0:
        return Path(audio) if audio else None
    trimmed = scratch / "audio.wav"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-ss", f"{offset:.6f}", "-i", str(audio),
         "-c:a", "pcm_s16le", "-y", str(trimmed)],
        check=True, capture_output=True,
    )
    return trimmed
