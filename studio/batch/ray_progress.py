"""Frames rendered so far by the queue's Ray tasks, for the batch's progress lines.

A task rendering a chunk tells one small actor on the cluster (it takes no CPU slot) how many
of its chunk's frames are done, at most every REPORT_EVERY seconds and once at the end. The
machine running the batch reads the whole board a few times a second and shows each job's
frames as the sum over its chunks, on the same progress lines as a local job. A chunk run
again after its worker died reports from 0 again, so a job's count can step back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ray

REPORT_EVERY = 0.25  # seconds between a task's reports


@ray.remote(num_cpus=0, max_restarts=-1)
class ProgressBoard:
    """(job, chunk) -> frames done, as last reported. A restarted board starts empty: the
    counts then come back with the tasks' next reports."""

    def __init__(self) -> None:
        self._done: dict[tuple[int, int], int] = {}

    def report(self, job: int, chunk: int, done: int) -> None:
        self._done[(job, chunk)] = done

    def read(self) -> dict[tuple[int, int], int]:
        return self._done

    def forget(self, job: int) -> None:
        for key in [key for key in self._done if key[0] == job]:
            del self._done[key]


@dataclass
class ChunkProgress:
    """A chunk task's `progress(done, total)`: reports to the board, throttled. Sending a
    report does not wait for the board."""

    board: object  # a ProgressBoard actor handle
    job: int
    chunk: int
    _last: float = field(default=0.0, repr=False)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last >= REPORT_EVERY:
            self._last = now
            self.board.report.remote(self.job, self.chunk, done)
