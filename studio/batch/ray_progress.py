"""Frames rendered so far by the queue's Ray tasks, for the batch's progress lines.

A task rendering a chunk tells one small actor on the cluster (it takes no CPU slot) how many
of its chunk's frames are done, at most every REPORT_EVERY seconds and once at the end. The
machine running the batch reads its batch's part of the board a few times a second and shows
each job's frames as the sum over its chunks, on the same progress lines as a local job. A
chunk run again after its worker died reports from 0 again, so a job's count can step back.
A process that runs batch after batch keeps one board (starting an actor's process costs a
second or two of CPU): each batch has a key of its own on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ray

REPORT_EVERY = 0.25  # seconds between a task's reports


_boards: dict[str, object] = {}  # this process's board, by the Ray job (driver) it belongs to


@ray.remote(num_cpus=0, max_restarts=-1)
class ProgressBoard:
    """batch -> (job, chunk) -> frames done, as last reported. A restarted board starts empty:
    the counts then come back with the tasks' next reports."""

    def __init__(self) -> None:
        self._done: dict[str, dict[tuple[int, int], int]] = {}

    def report(self, batch: str, job: int, chunk: int, done: int) -> None:
        self._done.setdefault(batch, {})[(job, chunk)] = done

    def read(self, batch: str) -> dict[tuple[int, int], int]:
        return self._done.get(batch, {})

    def forget(self, batch: str, job: int | None = None) -> None:
        """A job's counts (it ended), or the whole batch's."""
        counts = self._done.get(batch, {})
        for key in [key for key in counts if job is None or key[0] == job]:
            del counts[key]
        if not counts:
            self._done.pop(batch, None)


def board() -> object:
    """This process's ProgressBoard in its Ray session, started at the first batch."""
    session = ray.get_runtime_context().get_job_id()
    if session not in _boards:
        _boards.clear()
        _boards[session] = ProgressBoard.remote()
    return _boards[session]


@dataclass
class ChunkProgress:
    """A chunk task's `progress(done, total)`: reports to the board, throttled. Sending a
    report does not wait for the board."""

    board: object  # a ProgressBoard actor handle
    batch: str
    job: int
    chunk: int
    _last: float = field(default=0.0, repr=False)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last >= REPORT_EVERY:
            self._last = now
            self.board.report.remote(self.batch, self.job, self.chunk, done)
