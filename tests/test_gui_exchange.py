"""The exchange scenarios (tests/gui_exchange_scenarios.py), each in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui_exchange_scenarios import EXCHANGE
from test_gui_scenarios import analysis_file, explain, passed, x_display, x_env  # noqa: F401

SCRIPT = Path(__file__).with_name("gui_exchange_scenarios.py")


@pytest.mark.parametrize("name", sorted(EXCHANGE))
def test_exchange_scenario(name, tmp_path, analysis_file, x_env):  # noqa: F811
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **x_env}
    result = subprocess.run([sys.executable, str(SCRIPT), name, str(tmp_path),
                             str(analysis_file)], capture_output=True, text=True, timeout=240,
                            env=env)
    assert passed(result), explain(result)
