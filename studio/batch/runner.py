"""A batch from start to end: the display, this machine or Ray, every job's result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from studio.batch.display import BatchDisplay
from studio.batch.jobs import Job, JobResult
from studio.doc.errors import InputError

CHUNK_SECONDS = 20.0  # Ray: a clip over twice this long is split into chunks of about this


def run_batch(jobs: list[Job], *, ray: str | None = None, processes: int | None = None,
              chunk_seconds: float = CHUNK_SECONDS, force: bool = False,
              stream: TextIO | None = None, live: bool | None = None) -> list[JobResult]:
    """Render the jobs (on this machine, or on the Ray cluster at `ray`: "auto", "local" or an
    address); outputs that exist are skipped unless `force`. Returns one result per job;
    Ctrl-C and stop signals are raised once the running jobs have stopped cleanly."""
    display = BatchDisplay(jobs, stream, live)
    try:
        if ray:
            from studio.batch.ray_farm import run_on_ray  # Ray is imported only here

            return run_on_ray(jobs, display, ray, chunk_seconds=chunk_seconds, force=force)
        from studio.batch.local import run_local

        return run_local(jobs, display, processes=processes, force=force)
    finally:
        display.close()


def run_job_file(jobs_file: Path, outdir: Path, project_for: Callable[..., object], *,
                 ray: str | None = None, processes: int | None = None,
                 chunk_seconds: float | None = None, force: bool = False) -> tuple[int, int]:
    """`studio batch`: the jobs of the file rendered into `outdir`; returns (failed, total).
    `project_for(argv, stand_in=False)` makes the project `studio render ARGV` would render.
    A bad jobs file or flag raises InputError before anything renders."""
    from studio.batch.job_file import jobs_from_rows, read_job_file

    if processes is not None and processes < 1:
        raise InputError(f"--processes {processes}: use 1 or more")
    if chunk_seconds is not None and chunk_seconds <= 0:
        raise InputError(f"--chunk-seconds {chunk_seconds}: use a number of seconds above 0")
    rows = read_job_file(jobs_file)
    jobs = jobs_from_rows(rows, jobs_file.absolute().parent, outdir.absolute(), project_for)
    results = run_batch(jobs, ray=ray, processes=processes, force=force,
                        chunk_seconds=chunk_seconds or CHUNK_SECONDS)
    return sum(not result.ok for result in results), len(results)
