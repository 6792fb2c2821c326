"""The queue's progress on stderr: a line per job and a total.

On a terminal the running jobs and the total are redrawn in place under the lines of the jobs
that ended; in a log (a pipe, CI) every line is written once: a job's quarters, its end, and
the total after each end, so logs stay short and readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from studio.batch.jobs import Job, JobResult, Status

_REDRAW_EVERY = 0.1  # seconds
MAX_RUNNING_LINES = 12  # on a terminal; a cluster may run hundreds of jobs at once


class BatchDisplay:
    def __init__(self, jobs: list[Job], stream: TextIO | None = None,
                 live: bool | None = None) -> None:
        self.jobs = jobs
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.width = max((len(job.name) for job in jobs), default=0)
        self.begun = time.monotonic()
        self.started_at: dict[int, float] = {}
        self.state: dict[int, str] = {}  # running jobs: what they are doing
        self.fraction: dict[int, float] = {}
        self.quarter: dict[int, int] = {}
        self.results: dict[int, JobResult] = {}
        self._drawn_lines = 0
        self._last_draw = 0.0

    # events, from the runner's thread
    def started(self, index: int, state: str = "rendering") -> None:
        self.started_at.setdefault(index, time.monotonic())
        self.state[index] = state
        self.fraction.setdefault(index, 0.0)
        self._redraw()

    def progress(self, index: int, done: int, total: int, state: str = "rendering") -> None:
        self.started_at.setdefault(index, time.monotonic())
        self.state[index] = state
        self.fraction[index] = done / max(total, 1)
        quarter = 4 * done // max(total, 1)
        if not self.live and 0 < quarter < 4 and quarter > self.quarter.get(index, 0):
            self._write([f"{self._name(index)}  {25 * quarter:3d}%  {done}/{total} frames"])
        self.quarter[index] = max(quarter, self.quarter.get(index, 0))
        self._redraw()

    def finished(self, index: int, result: JobResult) -> None:
        self.results[index] = result
        self.state.pop(index, None)
        line = f"{self._name(index)}  {self._outcome(result)}"
        if self.live:
            self._redraw(force=True, above=[line])
        else:
            self._write([f"[{len(self.results)}/{len(self.jobs)}] {line}", self.total_line()])

    def close(self) -> None:
        if self.live:
            self._redraw(force=True)
            self._drawn_lines = 0

    # what is shown
    def total_line(self) -> str:
        counts = {status: 0 for status in Status}
        for result in self.results.values():
            counts[result.status] += 1
        parts = [f"{counts[Status.DONE]} done"]
        parts += [f"{counts[s]} {s.value}" for s in (Status.SKIPPED, Status.FAILED,
                                                     Status.CANCELLED) if counts[s]]
        running = len(self.state)
        if running:
            parts.append(f"{running} running")
        elapsed = time.monotonic() - self.begun
        return (f"total  {len(self.results)}/{len(self.jobs)} jobs: {', '.join(parts)}  "
                f"{elapsed:.0f} s")

    def _name(self, index: int) -> str:
        return self.jobs[index].name.ljust(self.width)

    def _outcome(self, result: JobResult) -> str:
        if result.status is Status.DONE:
            return f"done in {result.seconds:.1f} s"
        if result.status is Status.SKIPPED:
            return "skipped: already rendered"
        if result.status is Status.FAILED:
            return f"failed: {result.reason}"
        return "cancelled"

    def _running_line(self, index: int) -> str:
        fraction = self.fraction.get(index, 0.0)
        filled = int(20 * fraction)
        elapsed = time.monotonic() - self.started_at.get(index, time.monotonic())
        return (f"{self._name(index)}  [{'#' * filled}{'-' * (20 - filled)}] {100 * fraction:3.0f}%"
                f"  {self.state[index]}  {elapsed:.0f} s")

    def _redraw(self, force: bool = False, above: list[str] | None = None) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < _REDRAW_EVERY:
            return
        self._last_draw = now
        lines = list(above or [])
        running = sorted(self.state)
        lines += [self._running_line(index) for index in running[:MAX_RUNNING_LINES]]
        if len(running) > MAX_RUNNING_LINES:
            lines.append(f"... and {len(running) - MAX_RUNNING_LINES} more running")
        lines.append(self.total_line())
        rewind = f"\x1b[{self._drawn_lines}F\x1b[J" if self._drawn_lines else ""
        self.stream.write(rewind + "".join(f"{line}\n" for line in lines))
        self.stream.flush()
        self._drawn_lines = len(lines) - len(above or [])

    def _write(self, lines: list[str]) -> None:
        self.stream.write("".join(f"{line}\n" for line in lines))
        self.stream.flush()
