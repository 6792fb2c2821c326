"""Where the studio's own files live: the top-level resources/ and models/ folders.

- resources/: the speaking-style presets, the sample portrait, voice clip and project, and the
  application icon;
- models/: the diffusion model manifests (which weight files each model preset needs), and the
  default place to put those weights.

This module is the one place that knows where they are, in each way the studio runs:
- a source checkout: beside the studio package (ROOT/resources, ROOT/models);
- an installed wheel: inside the package, as studio/_resources and studio/_models (setup.py maps
  the folders there);
- the PyInstaller bundle: the same two folders inside the package, collected under _internal/
  (packaging/studio.spec).

The folders inside the package are looked for first, so an installed copy never reads a folder
that happens to sit beside site-packages. Nothing here depends on the working directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _folder(name: str) -> Path:
    """The installed copy (studio/_NAME) when there is one, else the checkout's top-level NAME."""
    installed = PACKAGE_DIR / f"_{name}"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


RESOURCES_DIR = _folder("resources")
MODELS_DIR = _folder("models")  # the model manifests, models/<preset>.json

STYLE_PRESETS_DIR = RESOURCES_DIR / "presets"
SAMPLES_DIR = RESOURCES_DIR / "samples"
SAMPLE_PORTRAIT = SAMPLES_DIR / "portrait.jpg"
SAMPLE_SPEECH = SAMPLES_DIR / "speech.wav"
SAMPLE_TRANSCRIPT = SAMPLES_DIR / "speech.txt"
SAMPLE_PROJECT = SAMPLES_DIR / "sample-project.json"
APP_ICON = RESOURCES_DIR / "icons" / "talking-portrait-studio.svg"


def cache_dir(kind: str) -> Path:
    """Where the studio keeps what it can make again, one subfolder per `kind` ("analysis":
    portrait analyses; "models": the built-in tiny preset's weights): $STUDIO_CACHE_DIR, else
    $XDG_CACHE_HOME/talking-portrait-studio, else ~/.cache/talking-portrait-studio."""
    base = os.environ.get("STUDIO_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = str(Path(xdg) / "talking-portrait-studio")
    return Path(base) / kind


def default_weights_dir() -> Path | None:
    """The models folder used when none is chosen: where a user is told to put weights.

    In a source checkout it is the top-level models/ folder beside the manifests; in the
    standalone bundle, the models/ folder beside the executable. An installed wheel has none
    (site-packages is no place for gigabytes of weights): a models folder must be chosen.
    """
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / "models"
    if MODELS_DIR == PACKAGE_DIR.parent / "models":
        return MODELS_DIR
    return None


def log_dir() -> Path:
    """Where crash logs go: $STUDIO_LOG_DIR, else the user's cache folder."""
    base = os.environ.get("STUDIO_LOG_DIR")
    return Path(base) if base else Path.home() / ".cache" / "talking-portrait-studio" / "logs"
