"""The studio used as a person uses it: every scenario of tests/gui_scenarios.py in a child
process, so a crash of Qt fails its own test and the rest of the run goes on."""

from __future__ import annotations

import os
import pickle
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
    environment = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                       **(env or {}))
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


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - set(AFTER_A_CRASH)
                                        - {"edit_then_get_killed"}))
def test_scenario(name, tmp_path, analysis_file):
    result = run_scenario(name, tmp_path, analysis_file)
    assert passed(result), explain(result)


@pytest.mark.parametrize("then", AFTER_A_CRASH)
def test_killed_a_few_seconds_after_an_edit(then, tmp_path, analysis_file):
    """kill -9 three seconds after an edit, then the studio started again on the same settings
    and files: the edit is offered back (or, declined, deleted)."""
    crashed = run_scenario("edit_then_get_killed", tmp_path, analysis_file)
    assert crashed.returncode == -signal.SIGKILL, explain(crashed)
    assert (tmp_path / "talk.autosave.json").is_file()
    result = run_scenario(then, tmp_path, analysis_file)
    assert passed(result), explain(result)
