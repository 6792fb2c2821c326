"""What a Ray worker does for the queue: analyse a job once, render one chunk of it.

These run in Ray's worker processes (any machine of the cluster with the studio installed).
A worker that dies mid-task is replaced and the task run again by Ray (max_retries); a chunk
is rendered into the worker's own temporary folder and sent back as bytes, so nothing partial
ever reaches the output folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ray

from studio.batch.transfer import Payload, pack, with_inputs_in
from studio.doc.project import Project
from studio.engine.inputs import Analysis
from studio.export.formats import ExportFormat

RETRIES = 3  # a worker's death (killed, out of memory, a lost node) is retried this often


@ray.remote(max_retries=0)
def warm_up() -> None:
    """Import what analysis and rendering use (OpenCV, MediaPipe, the mesh renderer), so a
    worker started for this batch has paid for it before its first chunk arrives."""
    import studio.analysis.portrait  # noqa: F401
    import studio.analysis.speech  # noqa: F401
    import studio.engine.pipeline  # noqa: F401
    import studio.render.mesh  # noqa: F401


@ray.remote(num_returns=2, max_retries=RETRIES)
def analyse_job(project: Project, files: dict[str, tuple[str, bytes]]) -> tuple[int, Analysis]:
    """The job's frame count and its analysis, which every chunk of it shares."""
    from studio.engine import analyze, controls_for

    with tempfile.TemporaryDirectory(prefix="studio-ray-inputs-") as folder:
        local = with_inputs_in(project, files, Path(folder))
        analysis = analyze(local)
        return len(controls_for(local, analysis)), analysis


@ray.remote(max_retries=RETRIES)
def render_chunk(project: Project, analysis: Analysis, fmt: ExportFormat, start: int,
                 end: int) -> Payload:
    """Frames `start` to `end` (inclusive) encoded in `fmt`, a chunk format: no sound (the
    voice is muxed once, when the chunks are joined)."""
    from studio.engine.frames import render_frames
    from studio.engine.controls import controls_for
    from studio.export.clip import export_clip

    controls = controls_for(project, analysis)
    frames = render_frames(_prepared(project, analysis), controls, start, end + 1,
                           with_alpha=fmt.alpha, workers=1)
    with tempfile.TemporaryDirectory(prefix="studio-ray-chunk-") as folder:
        target = Path(folder) / f"chunk{fmt.suffix}"
        try:
            export_clip(frames, target, fps=project.fps, frame_count=end + 1 - start,
                        format=fmt)
        finally:
            frames.close()
        return pack(target)


_renderer: dict[str, object] = {}  # this worker's prepared renderer and what it was made for


def _prepared(project: Project, analysis: Analysis):
    """The renderer for the project, prepared once per worker for all the chunks of a job that
    it renders (preparing takes seconds; a frame, milliseconds)."""
    from studio.engine.frames import prepare_renderer

    key = (analysis.rig.image_hash, project.width, project.height, project.seed,
           repr(project.render))
    if _renderer.get("key") != key:
        _renderer.clear()
        _renderer.update(key=key, renderer=prepare_renderer(project, analysis.rig))
    return _renderer["renderer"]
