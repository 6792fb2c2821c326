"""A batch from start to end: the display, this machine or Ray, every job's result."""

from __future__ import annotations

from typing import TextIO

from studio.batch.display import BatchDisplay
from studio.batch.jobs import Job, JobResult

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
