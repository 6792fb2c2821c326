"""Where the studio's own files live: package data under studio/data, found beside this module.

Every resource the application reads at run time (speaking-style presets, diffusion model
manifests, the sample portrait, voice clip and project, the application icon) is package data,
located relative to this file and never relative to a source checkout or the working directory.
The same lookup therefore works from a source tree, from an installed wheel and from the
PyInstaller bundle, where this module's `__file__` points inside the bundle and the data is
collected next to it (packaging/studio.spec).
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
STYLE_PRESETS_DIR = DATA_DIR / "presets"
MODEL_MANIFESTS_DIR = DATA_DIR / "models"
SAMPLES_DIR = DATA_DIR / "samples"
SAMPLE_PORTRAIT = SAMPLES_DIR / "portrait.jpg"
SAMPLE_SPEECH = SAMPLES_DIR / "speech.wav"
SAMPLE_TRANSCRIPT = SAMPLES_DIR / "speech.txt"
SAMPLE_PROJECT = SAMPLES_DIR / "sample-project.json"
APP_ICON = DATA_DIR / "icons" / "talking-portrait-studio.svg"
