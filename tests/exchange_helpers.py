"""What the exchange tests share: the sample project's ControlSequence, made once."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "sample-project.json"


def sample_project():
    from studio.doc.io import load_project

    return load_project(SAMPLE)


def controls_of(project, analysis):
    from studio.engine.controls import controls_for

    return controls_for(project, analysis)
