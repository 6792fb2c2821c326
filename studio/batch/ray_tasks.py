"""What a Ray worker does for the queue: analyse a short job, render one chunk of a job.

These run in Ray's worker processes (any machine of the cluster with the studio installed).
A worker that dies mid-task is replaced and the task run again by Ray (max_retries); a chunk
is rendered into the worker's own temporary folder and sent back as bytes, so nothing partial
ever reaches the output folder. A long clip is analysed where the batch runs
(studio.batch.ray_farm), which sends its chunks the portrait's rig and the clip's controls.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import ray

from studio.batch.ray_progress import ChunkProgress
from studio.batch.transfer import Payload, pack, with_inputs_in
from studio.doc.project import Project

if TYPE_CHECKING:  # what the tasks receive; their modules are imported where they run
    from studio.analysis.face_rig import FaceRig
    from studio.conditioning.sequence import ControlSequence
    from studio.export.formats import ExportFormat

RETRIES = 3  # a worker's death (killed, out of memory, a lost node) is retried this often


@ray.remote(max_retries=0)
def warm_up() -> None:
    """Import what analysis and rendering use (OpenCV, MediaPipe, the mesh renderer), so a
    worker started for this batch has paid for it before its first task arrives."""
    import studio.analysis.portrait  # noqa: F401
    import studio.analysis.speech  # noqa: F401
    import studio.engine.controls  # noqa: F401 - a chunk's controls arrive pickled
    import studio.engine.pipeline  # noqa: F401
    import studio.render.mesh  # noqa: F401


@ray.remote(num_returns=3, max_retries=RETRIES)
def analyse_job(project: Project, files: dict[str, tuple[str, bytes]]
                ) -> tuple[int, FaceRig, ControlSequence]:
    """A job's frame count, its portrait's rig and its controls, which its chunks share."""
    from studio.engine import analyze, controls_for

    with tempfile.TemporaryDirectory(prefix="studio-ray-inputs-") as folder:
        local = with_inputs_in(project, files, Path(folder))
        analysis = analyze(local)
        controls = controls_for(local, analysis)
        return len(controls), analysis.rig, controls


@ray.remote(max_retries=RETRIES)
def render_chunk(project: Project, rig: FaceRig, controls: ControlSequence, fmt: ExportFormat,
                 start: int, end: int, progress: ChunkProgress) -> Payload:
    """Frames `start` to `end` (inclusive) encoded in `fmt`, a chunk format: no sound (the
    voice is muxed once, when the chunks are joined). Frames done go to `progress`."""
    from studio.engine.frames import render_frames
    from studio.export.clip import export_clip

    frames = render_frames(_prepared(project, rig), controls, start, end + 1,
                           with_alpha=fmt.alpha, workers=1)
    with tempfile.TemporaryDirectory(prefix="studio-ray-chunk-") as folder:
        target = Path(folder) / f"chunk{fmt.suffix}"
        try:
            # one encoder thread: a chunk task holds one CPU of the cluster (its render is
            # one thread too), and x264's frame threads cost CPU to hand frames between them
            # (8-15 % of a chunk's CPU at 512 px on one core)
            export_clip(frames, target, fps=project.fps, frame_count=end + 1 - start,
                        format=fmt, progress=progress, encoder_threads=1)
        finally:
            frames.close()
        return pack(target)


_renderer: dict[str, object] = {}  # this worker's prepared renderer and what it was made for


def _prepared(project: Project, rig: FaceRig):
    """The renderer for the project, prepared once per worker for all the chunks of a job that
    it renders (preparing takes a third of a second; a frame, milliseconds)."""
    from studio.engine.frames import prepare_renderer

    key = (rig.image_hash, project.width, project.height, project.seed, repr(project.render))
    if _renderer.get("key") != key:
        _renderer.clear()
        _renderer.update(key=key, renderer=prepare_renderer(project, rig))
    return _renderer["renderer"]
