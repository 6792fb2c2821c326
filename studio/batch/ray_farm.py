"""The queue on a Ray cluster: one task per job, or per chunk of a long clip.

Each job is analysed once by a task (its inputs travel with it); its frames are then split at
frame boundaries into chunks of about `chunk_seconds`, rendered by tasks on any worker, each
encoded on its own with closed GOPs and sent back. This machine joins a job's chunks without
encoding them again and muxes the voice once (studio.export.chunks); the output appears in the
output folder only then, complete. Chunks wait in a temporary folder outside it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.batch.display import BatchDisplay
from studio.batch.jobs import Job, JobResult, Status, one_line
from studio.batch.local import settle_skipped
from studio.doc.errors import InputError

_POLL = 0.2  # seconds between looks at the cluster when nothing finished


def connect(address: str):
    """Ray, connected: to the session this process already has, or `address`. "auto" is the
    cluster this machine belongs to (`ray start`), else Ray on this machine alone; "local" is
    always Ray on this machine alone. Returns (ray, whether this call started the session)."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray: Ray is not installed here; install the studio's requirements "
                         "(make venv) or pip install ray") from None
    if ray.is_initialized():
        return ray, False
    quiet = dict(log_to_driver=False, logging_level=logging.ERROR)
    if address == "auto":
        try:
            ray.init(address="auto", **quiet)
            return ray, True
        except ConnectionError:
            pass  # no cluster here: Ray on this machine alone
    if address in ("auto", "local"):
        workers_find_the_studio()
        ray.init(address="local", include_dashboard=False, **quiet)
        return ray, True
    _reachable(address)
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, ValueError) as error:
        raise InputError(f"--ray {address}: cannot connect to a Ray cluster there "
                         f"({one_line(error)})") from None
    return ray, True


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse an address nothing answers at within seconds (Ray itself retries for minutes)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray {address}: give auto, or a cluster's HOST:PORT such as "
                         "10.0.0.5:6379 (or ray://HOST:10001)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        why = error.strerror or "no answer"
        raise InputError(f"--ray {address}: no Ray cluster answers there ({why}); start one "
                         "with 'ray start --head' (docs/render-farm.md)") from None


def workers_find_the_studio() -> None:
    """Workers of a Ray started here inherit this environment: let them import this copy of
    the studio, even when it runs from a source checkout."""
    import studio

    root = str(Path(studio.__file__).resolve().parent.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


def run_on_ray(jobs: list[Job], display: BatchDisplay, address: str, *, chunk_seconds: float,
               force: bool = False) -> list[JobResult]:
    """Render the jobs on Ray; every job gets a result. On Ctrl-C the tasks are cancelled, the
    chunks removed, and the interrupt raised again."""
    results, todo = settle_skipped(jobs, display, force)
    if todo:
        ray, ours = connect(address)
        farm = _Farm(ray, jobs, display, results, chunk_seconds)
        try:
            farm.run(todo)
        except BaseException:
            farm.cancel()
            raise
        finally:
            farm.close()
            if ours:
                ray.shutdown()
    return [result or JobResult(Status.CANCELLED) for result in results]


@dataclass
class _JobState:
    started: float
    format: object = None  # the output's ExportFormat
    ranges: list[tuple[int, int]] = field(default_factory=list)
    chunks: dict[int, Path] = field(default_factory=dict)
    frames_done: int = 0
    frame_count: int = 0


class _Farm:
    """The jobs in flight: which task result belongs to which job and chunk."""

    def __init__(self, ray, jobs: list[Job], display: BatchDisplay,
                 results: list[JobResult | None], chunk_seconds: float) -> None:
        from studio.batch import ray_tasks

        self.ray, self.tasks = ray, ray_tasks
        self.jobs, self.display, self.results = jobs, display, results
        self.chunk_seconds = chunk_seconds
        self.waiting: dict[object, tuple[int, int | None]] = {}  # ref -> (job, chunk or None)
        self.analyses: dict[int, object] = {}
        self.states: dict[int, _JobState] = {}
        self.staging = Path(tempfile.mkdtemp(prefix="studio-farm-"))

    def run(self, todo: list[int]) -> None:
        for index in todo:
            self._submit(index)
        # Ray starts fresh workers for each batch: they import the studio while the first
        # jobs are analysed, instead of when their first chunk arrives
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        for _ in range(max(0, min(cpus, 64) - len(todo))):
            self.tasks.warm_up.remote()
        while self.waiting:
            ready, _ = self.ray.wait(list(self.waiting), num_returns=1, timeout=_POLL)
            for ref in ready:
                self._take(ref)

    def _submit(self, index: int) -> None:
        from studio.batch.transfer import input_files
        from studio.engine.inputs import check_inputs
        from studio.engine.pipeline import output_format

        job = self.jobs[index]
        self.states[index] = _JobState(time.monotonic())
        self.display.started(index, "analysing")
        try:
            check_inputs(job.project)
            self.states[index].format = output_format(job.engine_output())
            files = input_files(job.project)
        except (InputError, OSError) as error:
            self._fail(index, error)
            return
        count, analysis = self.tasks.analyse_job.remote(job.project, files)
        self.analyses[index] = analysis
        self.waiting[count] = (index, None)

    def _take(self, ref) -> None:
        index, chunk = self.waiting.pop(ref)
        if self.results[index] is not None:
            return  # the job failed already
        try:
            value = self.ray.get(ref)
        except Exception as error:  # noqa: BLE001 - a failed task fails its job alone
            self._fail(index, getattr(error, "cause", None) or error)
            return
        if chunk is None:
            self._split(index, value)
        else:
            self._arrived(index, chunk, value)

    def _split(self, index: int, frame_count: int) -> None:
        from studio.export.chunks import chunk_format, chunk_ranges

        job, state = self.jobs[index], self.states[index]
        chunk_frames = max(1, round(self.chunk_seconds * job.project.fps))
        state.frame_count = frame_count
        state.ranges = chunk_ranges(frame_count, chunk_frames)
        fmt = chunk_format(state.format)
        for number, (start, end) in enumerate(state.ranges):
            ref = self.tasks.render_chunk.remote(job.project, self.analyses[index], fmt, start,
                                                 end)
            self.waiting[ref] = (index, number)
        self.display.progress(index, 0, frame_count, self._doing(state))

    def _arrived(self, index: int, number: int, payload) -> None:
        from studio.batch.transfer import unpack

        state = self.states[index]
        folder = self.staging / str(index)
        folder.mkdir(exist_ok=True)
        state.chunks[number] = unpack(payload, folder / f"{number:05d}{state.format.suffix}")
        start, end = state.ranges[number]
        state.frames_done += end + 1 - start
        self.display.progress(index, state.frames_done, state.frame_count, self._doing(state))
        if len(state.chunks) == len(state.ranges):
            self._join(index)

    def _join(self, index: int) -> None:
        from studio.export.chunks import join_chunks

        job, state = self.jobs[index], self.states[index]
        audio = Path(job.project.audio) if job.project.audio else None
        try:
            join_chunks([state.chunks[n] for n in range(len(state.ranges))], job.output,
                        state.format, fps=job.project.fps, frame_count=state.frame_count,
                        audio_path=audio)
        except Exception as error:  # noqa: BLE001 - a failed join fails its job alone
            self._fail(index, error)
            return
        finally:
            shutil.rmtree(self.staging / str(index), ignore_errors=True)
            self.analyses.pop(index, None)
        self._finish(index, JobResult(Status.DONE,
                                      seconds=time.monotonic() - state.started))

    def _doing(self, state: _JobState) -> str:
        return f"{len(state.chunks)}/{len(state.ranges)} chunks"

    def _fail(self, index: int, error: BaseException) -> None:
        for ref, (owner, _) in list(self.waiting.items()):
            if owner == index:
                self._cancel(ref)
                del self.waiting[ref]
        shutil.rmtree(self.staging / str(index), ignore_errors=True)
        self.analyses.pop(index, None)
        self._finish(index, JobResult(Status.FAILED, one_line(error)))

    def _finish(self, index: int, result: JobResult) -> None:
        self.results[index] = result
        self.display.finished(index, result)

    def _cancel(self, ref) -> None:
        try:
            self.ray.cancel(ref, force=True)
        except Exception:  # noqa: BLE001 - already finished or gone: nothing to stop
            pass

    def cancel(self) -> None:
        for ref in self.waiting:
            self._cancel(ref)
        for index in self.waiting.values():
            if self.results[index[0]] is None:
                self._finish(index[0], JobResult(Status.CANCELLED))
        self.waiting.clear()

    def close(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
