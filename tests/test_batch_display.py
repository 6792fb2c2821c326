"""The queue's display: redrawn in place on a terminal, written once per line in a log."""

from __future__ import annotations

import io
import re
from pathlib import Path

from studio.batch.display import MAX_RUNNING_LINES, BatchDisplay
from studio.batch.jobs import Job, JobResult, Status


def jobs(count: int) -> list[Job]:
    return [Job(f"clip{n}.mp4", Path(f"/out/clip{n}.mp4"), None) for n in range(count)]


def test_on_a_terminal_running_jobs_are_redrawn_under_the_ended_ones():
    stream = io.StringIO()
    display = BatchDisplay(jobs(3), stream, live=True)
    display.started(0)
    display.progress(0, 50, 100)
    display.finished(0, JobResult(Status.DONE, seconds=1.5))
    display.finished(1, JobResult(Status.FAILED, "voice clip x.wav: no such file"))
    display.close()
    screen = render_terminal(stream.getvalue())
    assert screen == ["clip0.mp4  done in 1.5 s",
                      "clip1.mp4  failed: voice clip x.wav: no such file",
                      screen[2]]
    assert screen[2].startswith("total  2/3 jobs: 1 done, 1 failed")


def test_on_a_terminal_a_cluster_of_running_jobs_is_cut_short():
    stream = io.StringIO()
    display = BatchDisplay(jobs(40), stream, live=True)
    for index in range(40):
        display.started(index, "analysing")
    display.close()
    screen = render_terminal(stream.getvalue())
    assert len(screen) == MAX_RUNNING_LINES + 2
    assert screen[-2] == f"... and {40 - MAX_RUNNING_LINES} more running"


def test_in_a_log_each_line_is_written_once():
    stream = io.StringIO()
    display = BatchDisplay(jobs(2), stream, live=False)
    for done in range(0, 101, 5):
        display.progress(1, done, 100)
    display.finished(1, JobResult(Status.DONE, seconds=2.0))
    display.finished(0, JobResult(Status.SKIPPED))
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:3]] == ["25%", "50%", "75%"]
    assert lines[3] == "[1/2] clip1.mp4  done in 2.0 s"
    assert lines[5] == "[2/2] clip0.mp4  skipped: already rendered"
    assert lines[6].startswith("total  2/2 jobs: 1 done, 1 skipped")
    assert "\x1b" not in stream.getvalue()


def render_terminal(output: str) -> list[str]:
    """What a terminal shows after `output`: lines, with cursor-up-and-clear applied."""
    screen: list[str] = []
    position = 0
    for match in re.finditer(r"\x1b\[(\d+)F\x1b\[J", output):
        screen += output[position:match.start()].splitlines()
        del screen[len(screen) - int(match[1]):]
        position = match.end()
    return screen + output[position:].splitlines()
