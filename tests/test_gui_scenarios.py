"""The studio used as a person uses it: every scenario of tests/gui_scenarios.py in a child
process, so a crash of Qt fails its own test and the rest of the run goes on; in a real X
window (Xvfb) where one can be started, offscreen otherwise."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gui_scenarios import SCENARIOS

SCRIPT = Path(__file__).with_name("gui_scenarios.py")
TIMEOUT_S = 240


@pytest.fixture(scope="session")
def analysis_file(tmp_path_factory, portrait_path, speech_path) -> Path:
    """The sample's analysis, made once and handed to every child process."""
    from studio.doc.project import Project
    from studio.jobs import CancelToken
    from studio.ui.media import analyze_portrait_file, full_audio, quick_audio

    token = CancelToken()
    rig = analyze_portrait_file(portrait_path, token)
    quick = quick_audio(speech_path, 25, token)
    project = Project(portrait=str(portrait_path), audio=str(speech_path),
                      duration=round(quick.clip.duration, 6))
    path = tmp_path_factory.mktemp("analysis") / "sample.pickle"
    path.write_bytes(pickle.dumps((rig, full_audio(quick, project, token), project)))
    return path


def run_scenario(name: str, workdir: Path, analysis: Path, env: dict | None = None,
                 timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, str(SCRIPT), name, str(workdir), str(analysis)],
                          capture_output=True, text=True, timeout=timeout, env=environment)


def explain(result: subprocess.CompletedProcess) -> str:
    code = result.returncode
    how = (f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}")
    return f"{how}\n--- output ---\n{result.stdout[-3000:]}\n--- errors ---\n{result.stderr[-6000:]}"


AFTER_A_CRASH = ("recover_opening_the_project", "recover_starting_empty",
                 "decline_recovery_then_close")


def passed(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == 0 and "scenario passed" in result.stdout


RUN_IN_TURN = set(AFTER_A_CRASH) | {"edit_then_get_killed", "first_hour", "first_hour_recovered"}


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - RUN_IN_TURN))
def test_scenario(name, tmp_path, analysis_file, x_env):
    result = run_scenario(name, tmp_path, analysis_file, x_env)
    assert passed(result), explain(result)


@pytest.mark.parametrize("then", AFTER_A_CRASH)
def test_killed_a_few_seconds_after_an_edit(then, tmp_path, analysis_file, x_env):
    """kill -9 once the edit is autosaved (about two seconds after it), then the studio
    started again on the same settings and files: the edit is offered back (or, declined,
    deleted)."""
    crashed = run_scenario("edit_then_get_killed", tmp_path, analysis_file, x_env)
    assert crashed.returncode == -signal.SIGKILL, explain(crashed)
    assert (tmp_path / "talk.autosave.json").is_file()
    result = run_scenario(then, tmp_path, analysis_file, x_env)
    assert passed(result), explain(result)


@pytest.fixture(scope="module")
def x_env(x_display) -> dict:
    """Scenarios run in real X windows (Xvfb) where there is one: some of Qt's behaviour
    differs offscreen (its platform theme binds other keys, e.g. Redo and Quit)."""
    if x_display is None:
        return {}
    return {"QT_QPA_PLATFORM": "xcb", "DISPLAY": x_display}


@pytest.fixture(scope="module")
def x_display():
    """A real X server (Xvfb) for the first hour, where one is installed; else None."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        yield None
        return
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()
    display = f":{number}" if number and _xcb_works(f":{number}") else None
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_first_hour_in_a_real_window(tmp_path, analysis_file, x_env):
    """Drop, play, key every control by mouse and inspector, save, reopen, export, then a
    kill -9 and the work offered back."""
    env = x_env
    hour = run_scenario("first_hour", tmp_path, analysis_file, env)
    assert hour.returncode == -signal.SIGKILL, explain(hour)
    assert decode_frames_count(tmp_path / "clip.mp4") == 25
    after = run_scenario("first_hour_recovered", tmp_path, analysis_file, env)
    assert passed(after), explain(after)
    shots = sorted(p.name for p in (tmp_path / "screenshots").iterdir())
    assert len(shots) == 6, shots


def decode_frames_count(path: Path) -> int:
    from media_probe import decode_video

    return len(decode_video(path))


def _xcb_works(display: str) -> bool:
    """Qt's X11 platform starts on the display (its xcb libraries are all there)."""
    probe = subprocess.run(
        [sys.executable, "-c", "from PySide6.QtGui import QGuiApplication; QGuiApplication([])"],
        env={**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}, capture_output=True,
        timeout=60)
    return probe.returncode == 0


QUEUE_SCRIPT = Path(__file__).with_name("gui_queue_scenarios.py")


@pytest.mark.parametrize("name", ["queue_two_jobs_edit_cancel_one",
                                  "the_same_render_queued_twice_is_two_jobs"])
def test_render_queue_scenario(name, tmp_path, analysis_file, x_env):
    """File > Add to Render Queue… and the panel (tests/gui_queue_scenarios.py)."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **x_env}
    result = subprocess.run([sys.executable, str(QUEUE_SCRIPT), name, str(tmp_path),
                             str(analysis_file)], capture_output=True, text=True,
                            timeout=TIMEOUT_S, env=environment)
    assert passed(result), explain(result)
