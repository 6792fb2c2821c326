"""Shared test inputs: the bundled real portrait and real speech clip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"


@pytest.fixture(scope="session")
def portrait_path() -> Path:
    return SAMPLES / "portrait.jpg"


@pytest.fixture(scope="session")
def speech_path() -> Path:
    return SAMPLES / "speech.wav"


@pytest.fixture(scope="session")
def transcript_path() -> Path:
    return SAMPLES / "speech.txt"
