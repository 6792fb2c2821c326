"""What a Ray worker does for the queue: analyse a job once, render one chunk of it.

These run in Ray's worker processes (any machine of the cluster with the studio installed).
A worker that dies mid-task is replaced and the task run again by Ray (max_retries); a chunk
is rendered into the worker's own temporary folder and sent back as bytes, so nothing partial
ever reaches the output folder.
"""

from __future__ import annotations

import copy
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
    """Frames `start` to `end` (inclusive) encoded in `fmt` (a chunk format: no sound)."""
    from studio.engine.pipeline import Output, render_project

    silent = copy.copy(project)
    silent.audio = None  # the voice is muxed once, when the chunks are joined
    with tempfile.TemporaryDirectory(prefix="studio-ray-chunk-") as folder:
        target = Path(folder) / f"chunk{fmt.suffix}"
        render_project(silent, Output(target, fmt, start=start, end=end), analysis=analysis,
                       workers=1)
        return pack(target)
