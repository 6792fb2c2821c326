"""A job of the queue, and what became of it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from studio.doc.project import Project


@dataclass
class Job:
    """One output to render: `name` is how the queue shows it (its output, relative to the
    output folder); `error`, when set, says why the job cannot run (it is reported, not run)."""

    name: str
    output: Path
    project: Project | None
    transparent: bool = False
    error: str | None = None

    def finished(self) -> bool:
        """Outputs appear only once complete (studio.export.destination): one that exists is
        a finished render."""
        return self.output.exists()

    def engine_output(self):
        """The engine's Output for this job (studio.engine.pipeline)."""
        from studio.engine.pipeline import Output

        return Output(self.output, transparent=self.transparent)


class Status(enum.Enum):
    DONE = "done"
    SKIPPED = "skipped"  # finished by an earlier run
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobResult:
    status: Status
    reason: str = ""  # one line, for a failed job
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (Status.DONE, Status.SKIPPED)


def one_line(error: BaseException) -> str:
    """An error as the one line the queue shows: the message of an error the user can fix,
    the type and the first line for anything else."""
    from studio.doc.errors import InputError

    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(error, InputError):
        return first or type(error).__name__
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
