"""The voice analysed in a forked process (studio/engine/voice_process.py): the same result as
in-process, errors raised in the parent, and no child left behind on a cancel or an error."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from studio.doc.errors import Cancelled, InputError
from studio.doc.project import Project
from studio.engine import voice_process
from studio.engine.inputs import analyze
from studio.engine.voice_process import ChildProcess



# Set in the child pytest that runs this module on its own (see the last test): a test runner
# with worker threads (pytest-xdist's) is not a process the studio would fork from.
SINGLE_THREADED = "STUDIO_TEST_SINGLE_THREADED"


@pytest.fixture
def forks(monkeypatch):
    """Forking allowed although pytest-qt has loaded Qt (no QApplication or thread runs yet)."""
    import threading

    if not os.environ.get(SINGLE_THREADED):
        pytest.skip("run in a single-threaded child pytest by "
                    "test_the_forked_voice_tests_pass_in_a_single_threaded_process")
    assert sys.platform.startswith("linux") and threading.active_count() == 1
    monkeypatch.setattr(voice_process, "can_fork", lambda: True)


def _children() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == me:
                        found.add(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def test_a_child_returns_its_value_and_is_reaped(forks):
    before = _children()
    child = ChildProcess.start(lambda: {"frames": np.arange(5)})
    assert child is not None
    assert child.result()["frames"].tolist() == [0, 1, 2, 3, 4]
    assert _children() == before


def test_a_childs_error_is_raised_in_the_parent(forks):
    def refuse():
        raise InputError("cannot read transcript x.txt")

    child = ChildProcess.start(refuse)
    with pytest.raises(InputError, match="cannot read transcript x.txt"):
        child.result()


def test_a_cancel_kills_the_child_and_leaves_no_process(forks):
    before = _children()
    child = ChildProcess.start(lambda: time.sleep(60))
    started = time.monotonic()
    with pytest.raises(Cancelled):
        child.result(cancel=lambda: time.monotonic() - started > 0.3)
    assert time.monotonic() - started < 10
    assert _children() == before


def test_the_forked_analysis_equals_the_in_process_one(forks, portrait_path, speech_path,
                                                       monkeypatch):
    project = Project(portrait=str(portrait_path), audio=str(speech_path), seed=5)
    rigs = []
    forked = analyze(project, with_rig=rigs.append)
    assert len(rigs) == 1  # the renderer could be prepared while the voice was analysed
    monkeypatch.setattr(voice_process, "can_fork", lambda: False)
    inline = analyze(project)
    assert forked.visemes == inline.visemes and forked.duration == inline.duration
    for name in ("loudness", "head", "pause"):
        assert np.array_equal(getattr(forked.performance, name), getattr(inline.performance, name))
    assert forked.performance.expressive.keys() == inline.performance.expressive.keys()
    for key, values in forked.performance.expressive.items():
        assert np.array_equal(values, inline.performance.expressive[key])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the voice is forked on Linux")
def test_the_forked_voice_tests_pass_in_a_single_threaded_process():
    """The tests above need a process without other threads, which a pytest-xdist worker is
    not: they run here in a pytest of their own, and must all pass there (none skipped)."""
    if os.environ.get(SINGLE_THREADED):
        pytest.skip("this is that process")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
         __file__], env={**os.environ, SINGLE_THREADED: "1"}, capture_output=True, text=True,
        timeout=600, cwd=os.path.dirname(os.path.dirname(__file__)))
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0 and "4 passed, 1 skipped" in summary, result.stdout[-3000:]
