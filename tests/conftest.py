"""Shared test inputs: the bundled real portrait and real speech clip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.resources import SAMPLES_DIR

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = SAMPLES_DIR


@pytest.fixture(scope="session")
def portrait_path() -> Path:
    return SAMPLES / "portrait.jpg"


@pytest.fixture(scope="session")
def speech_path() -> Path:
    return SAMPLES / "speech.wav"


@pytest.fixture(scope="session")
def transcript_path() -> Path:
    return SAMPLES / "speech.txt"


@pytest.fixture(scope="session")
def sample_rig(portrait_path, tmp_path_factory):
    """The bundled portrait analysed once per test process (its own analysis cache)."""
    from studio.analysis.portrait import analyze_portrait

    return analyze_portrait(portrait_path, cache_dir=tmp_path_factory.mktemp("sample-analysis"))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """A models folder holding the `tiny` diffusion preset, saved through save_pretrained.

    Shared read-only: a test that adds files to a models folder makes its own.
    """
    from studio.render.diffusion.tiny import save_tiny_preset

    root = tmp_path_factory.mktemp("models")
    save_tiny_preset(root / "tiny")
    return root
