"""The queue on this machine: one process per core, one job at a time in each.

Rendering is CPU-bound Python and OpenCV, so jobs run in processes (started with `spawn`: no
thread state is forked). Each process renders its job with the engine, on `cores / processes`
threads, and reports progress on a queue the display reads. Ctrl-C or a stop signal sets one
event that every job polls between frames: running jobs leave no partial file, and the ones
that finished stay. A process that dies outright (a crash in native code) breaks its pool: the
jobs it took down are tried again, each alone, so only the one that kills its process fails.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from queue import Empty

from studio.batch.display import BatchDisplay
from studio.batch.jobs import Job, JobResult, Status, one_line

ATTEMPTS = 2  # a job whose process died is tried once more
_PROGRESS_EVERY = 0.1  # seconds between a job's progress messages

_events = None  # in a worker process: the queue to the display, the stop event, the parent
_stop = None
_parent = 0


def settle_skipped(jobs: list[Job], display: BatchDisplay, force: bool
                   ) -> tuple[list[JobResult | None], list[int]]:
    """The results known before anything runs (jobs that cannot run, outputs that exist), and
    the indices of the jobs left to render."""
    results: list[JobResult | None] = [None] * len(jobs)
    todo = []
    for index, job in enumerate(jobs):
        if job.error is not None:
            results[index] = JobResult(Status.FAILED, job.error)
        elif not force and job.finished():
            results[index] = JobResult(Status.SKIPPED)
        else:
            todo.append(index)
            continue
        display.finished(index, results[index])
    return results, todo


def run_local(jobs: list[Job], display: BatchDisplay, *, processes: int | None = None,
              force: bool = False) -> list[JobResult]:
    """Render the jobs over this machine's cores; every job gets a result. Ctrl-C (or Stopped)
    cancels the running jobs cleanly and is raised again once they have stopped."""
    from studio.engine.frames import render_workers

    results, todo = settle_skipped(jobs, display, force)
    attempts = {index: 0 for index in todo}
    context = multiprocessing.get_context("spawn")
    events, stop = context.Queue(), context.Event()
    cores = render_workers()
    rounds = [todo]  # all together first; a job lost with a dead process then runs alone
    try:
        while rounds:
            batch = rounds.pop(0)
            count = max(1, min(processes or cores, len(batch)))
            for index in batch:
                attempts[index] += 1
            lost = _run_pool(jobs, batch, count, max(1, cores // count), context, events, stop,
                             display, results)
            for index in lost:
                if attempts[index] < ATTEMPTS:
                    rounds.append([index])
                    continue
                results[index] = JobResult(Status.FAILED, "the render process died "
                                           f"({ATTEMPTS} times)")
                display.finished(index, results[index])
    finally:
        events.close()
        events.join_thread()
    return [result or JobResult(Status.CANCELLED) for result in results]


def _run_pool(jobs, todo, count, threads, context, events, stop, display, results) -> list[int]:
    """One pool over `todo`; returns the jobs lost with a process that died."""
    lost: list[int] = []
    pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker,
                               initargs=(events, stop, os.getpid()))
    futures: dict[Future, int] = {}
    try:
        futures = {pool.submit(_render, index, jobs[index], threads): index for index in todo}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=_PROGRESS_EVERY, return_when=FIRST_COMPLETED)
            _drain(events, display)
            for future in done:
                index = futures[future]
                try:
                    results[index] = future.result()
                except BrokenProcessPool:
                    lost.append(index)  # tried again, or failed, by run_local
                    continue
                display.finished(index, results[index])
    except BaseException:
        stop.set()  # every running job stops at its next frame and removes its temporary
        pool.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():
            if results[index] is None:
                results[index] = _settled(future)
                display.finished(index, results[index])
        raise
    finally:
        pool.shutdown(wait=True)
        _drain(events, display)
    return lost


def _settled(future: Future) -> JobResult:
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return JobResult(Status.CANCELLED)


def _drain(events, display: BatchDisplay) -> None:
    while True:
        try:
            index, done, total = events.get_nowait()
        except (Empty, OSError, ValueError):
            return
        if index in display.results:
            continue  # a late message from a job already reported
        if total:
            display.progress(index, done, total)
        else:
            display.started(index)


# in the worker processes
def _start_worker(events, stop, parent: int) -> None:
    global _events, _stop, _parent
    _events, _stop, _parent = events, stop, parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides, and sets the stop event


def _cancelled() -> bool:
    """Polled between frames: the batch was stopped, or the studio that started it is gone."""
    return _stop.is_set() or os.getppid() != _parent


def _render(index: int, job: Job, threads: int) -> JobResult:
    from studio.doc.errors import Cancelled
    from studio.engine.pipeline import render_project

    started = time.monotonic()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= _PROGRESS_EVERY:
            last[0] = now
            _events.put((index, done, total))

    _events.put((index, 0, 0))
    try:
        render_project(job.project, job.engine_output(), progress=progress, cancel=_cancelled,
                       workers=threads)
    except Cancelled:
        return JobResult(Status.CANCELLED)
    except Exception as error:  # noqa: BLE001 - a failed job is reported; the others go on
        return JobResult(Status.FAILED, one_line(error))
    return JobResult(Status.DONE, seconds=time.monotonic() - started)

