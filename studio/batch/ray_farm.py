"""The queue on a Ray cluster: one task per job, or per chunk of a long clip.

A short job is analysed by a task (its inputs travel with it), then rendered by another. A
clip of at least two chunks is analysed once, here, and split at frame boundaries into chunks
of about `chunk_seconds` (as many as a multiple of the cluster's CPUs), sent at once with the
portrait's rig and the clip's controls; no chunk analyses anything again. Each chunk is
rendered by a task on any worker, encoded on its own with closed GOPs and sent back, reporting
its frames on the way (studio.batch.ray_progress). This machine joins a job's chunks without
encoding them again and muxes the voice once (studio.export.chunks); the output appears in the
output folder only then, complete. Chunks wait in a temporary folder outside it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
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
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return ray, False
    if ray is None:
        _token_auth_as_ray_start()  # read when Ray is imported; a change after that breaks it
    try:
        import ray
    except ImportError:
        raise InputError("--ray: Ray is not installed here; install the studio's requirements "
                         "(make venv) or pip install ray") from None
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


def _token_auth_as_ray_start() -> None:
    """Ray's `ray start` turns token authentication on when RAY_AUTH_MODE is unset and a token
    is at hand (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token), but a driver joining
    its cluster does not, and is refused. The same rule here, so a batch joins such a cluster
    as `ray start` would (an explicit RAY_AUTH_MODE is left as it is). Only before Ray is
    imported: Ray reads the mode once, and a process whose Ray read another one cannot start
    a local Ray after a change (its GCS would ask for a token the driver does not send)."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    if (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
            or (Path.home() / ".ray" / "auth_token").is_file()):
        os.environ["RAY_AUTH_MODE"] = "token"


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
    rendering: dict[int, int] = field(default_factory=dict)  # chunk -> frames done, reported
    frame_count: int = 0
    analysis: tuple | None = None  # a short job's rig and controls (Ray refs), until it ends
    audio: object = None  # its voice, being encoded for the join (studio.export.early_audio)

    def frames_done(self) -> int:
        arrived = sum(self.ranges[n][1] + 1 - self.ranges[n][0] for n in self.chunks)
        return arrived + sum(done for n, done in self.rendering.items() if n not in self.chunks)


class _Farm:
    """The jobs in flight: which task result belongs to which job and chunk."""

    def __init__(self, ray, jobs: list[Job], display: BatchDisplay,
                 results: list[JobResult | None], chunk_seconds: float) -> None:
        from studio.batch import ray_progress, ray_tasks

        self.ray, self.tasks = ray, ray_tasks
        self.jobs, self.display, self.results = jobs, display, results
        self.chunk_seconds = chunk_seconds
        self.waiting: dict[object, tuple[int, int | None]] = {}  # ref -> (job, chunk or None)
        self.states: dict[int, _JobState] = {}
        self.staging = Path(tempfile.mkdtemp(prefix="studio-farm-"))
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.board = ray_progress.board()
        self.batch = uuid.uuid4().hex  # this batch's key on the board
        self.reading = None  # the board's answer on its way
        self.read_at = 0.0

    def run(self, todo: list[int]) -> None:
        # Ray starts fresh workers for each batch: they import the studio while the jobs are
        # analysed, instead of when their first chunk arrives
        for _ in range(min(self.cpus, 64)):
            self.tasks.warm_up.remote()
        for index in todo:
            self._submit(index)
        while self.waiting:
            self._read_board()
            refs = [*self.waiting, *([self.reading] if self.reading is not None else [])]
            ready, _ = self.ray.wait(refs, num_returns=1, timeout=_POLL)
            for ref in ready:
                if ref == self.reading:
                    self._show(ref)
                else:
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
            if self._in_chunks(job):
                self._analyse_here(index)
                return
            files = input_files(job.project)
        except (InputError, OSError) as error:
            self._fail(index, error)
            return
        count, rig, controls = self.tasks.analyse_job.remote(job.project, files)
        self.waiting[count] = (index, None)
        self.states[index].analysis = (rig, controls)

    def _in_chunks(self, job: Job) -> bool:
        """Whether the job's clip is long enough for chunks (its voice's length, probed)."""
        from studio.analysis.audio import probe_audio

        return probe_audio(job.project.audio).duration >= 2 * self.chunk_seconds

    def _analyse_here(self, index: int) -> None:
        """A long clip is analysed once, here, and its chunks are sent at once with what they
        need: the portrait's rig and the clip's controls, put in Ray's object store once."""
        from studio.engine import analyze, controls_for

        project = self.jobs[index].project
        try:
            analysis = analyze(project)
            controls = controls_for(project, analysis)
        except Exception as error:  # noqa: BLE001 - a failed analysis fails its job alone
            self._fail(index, error)
            return
        self._split(index, len(controls), self.ray.put(analysis.rig), self.ray.put(controls))

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
            self._split(index, value, *self.states[index].analysis)
        else:
            self._arrived(index, chunk, value)

    def _split(self, index: int, frame_count: int, rig, controls) -> None:
        from studio.batch.ray_progress import ChunkProgress
        from studio.export.chunks import chunk_format, chunk_ranges

        job, state = self.jobs[index], self.states[index]
        state.frame_count = frame_count
        state.ranges = chunk_ranges(frame_count, self._chunk_frames(frame_count, job))
        fmt = chunk_format(state.format)
        for number, (start, end) in enumerate(state.ranges):
            progress = ChunkProgress(self.board, self.batch, index, number)
            ref = self.tasks.render_chunk.remote(job.project, rig, controls, fmt, start, end,
                                                 progress)
            self.waiting[ref] = (index, number)
        self._encode_voice(index)
        self.display.progress(index, 0, frame_count, self._doing(state))

    def _encode_voice(self, index: int) -> None:
        from studio.export.early_audio import EarlyAudio

        project, state = self.jobs[index].project, self.states[index]
        if EarlyAudio.wanted(project.audio, state.format):
            folder = self.staging / str(index)
            folder.mkdir(exist_ok=True)
            state.audio = EarlyAudio(Path(project.audio), state.format, fps=project.fps,
                                     frame_count=state.frame_count, folder=folder)

    def _chunk_frames(self, frame_count: int, job: Job) -> int:
        """Frames a chunk: about `chunk_seconds`, and as many chunks as a multiple of the
        cluster's CPUs, so the last round of chunks keeps every CPU busy."""
        chunks = frame_count // max(1, round(self.chunk_seconds * job.project.fps))
        if chunks > 1:
            chunks = -(-chunks // self.cpus) * self.cpus
        return max(1, frame_count // max(1, chunks))

    def _read_board(self) -> None:
        if self.reading is None and time.monotonic() - self.read_at >= _POLL:
            self.reading = self.board.read.remote(self.batch)
            self.read_at = time.monotonic()

    def _show(self, reading) -> None:
        """Every running job's frames, from what its chunks reported (a board being
        restarted answers nothing this time)."""
        self.reading = None
        try:
            board = self.ray.get(reading)
        except Exception:  # noqa: BLE001 - progress is shown again at the next reading
            return
        for (index, number), done in board.items():
            state = self.states.get(index)
            if state is not None and self.results[index] is None and state.ranges:
                state.rendering[number] = done
        for index, state in self.states.items():
            if self.results[index] is None and state.ranges:
                self.display.progress(index, state.frames_done(), state.frame_count,
                                      self._doing(state))

    def _arrived(self, index: int, number: int, payload) -> None:
        from studio.batch.transfer import unpack

        state = self.states[index]
        folder = self.staging / str(index)
        folder.mkdir(exist_ok=True)
        state.chunks[number] = unpack(payload, folder / f"{number:05d}{state.format.suffix}")
        self.display.progress(index, state.frames_done(), state.frame_count, self._doing(state))
        if len(state.chunks) == len(state.ranges):
            self._join(index)

    def _join(self, index: int) -> None:
        from studio.export.chunks import join_chunks

        job, state = self.jobs[index], self.states[index]
        audio = Path(job.project.audio) if job.project.audio else None
        fmt = state.format
        try:
            if state.audio is not None:
                audio, fmt = state.audio.result()  # encoded already: copied into the join
            join_chunks([state.chunks[n] for n in range(len(state.ranges))], job.output, fmt,
                        fps=job.project.fps, frame_count=state.frame_count, audio_path=audio)
        except Exception as error:  # noqa: BLE001 - a failed join fails its job alone
            self._fail(index, error)
            return
        finally:
            shutil.rmtree(self.staging / str(index), ignore_errors=True)
        self._finish(index, JobResult(Status.DONE,
                                      seconds=time.monotonic() - state.started))

    def _doing(self, state: _JobState) -> str:
        return f"{len(state.chunks)}/{len(state.ranges)} chunks"

    def _fail(self, index: int, error: BaseException) -> None:
        for ref, (owner, _) in list(self.waiting.items()):
            if owner == index:
                self._cancel(ref)
                del self.waiting[ref]
        self._finish(index, JobResult(Status.FAILED, one_line(error)))
        shutil.rmtree(self.staging / str(index), ignore_errors=True)

    def _finish(self, index: int, result: JobResult) -> None:
        self.results[index] = result
        self.display.finished(index, result)
        state = self.states.get(index)
        if state is not None:
            state.analysis = None  # the rig and controls can leave the object store
            if state.audio is not None:
                state.audio.stop()
                state.audio = None
            if state.ranges:
                self.board.forget.remote(self.batch, index)

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
        self.board.forget.remote(self.batch)  # what cancelled chunks reported
