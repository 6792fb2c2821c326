"""`studio init` and `studio render --style`: tracks written into the project, ready to edit."""

from __future__ import annotations

from pathlib import Path

from studio.conditioning.blinks import refresh_auto_blinks
from studio.conditioning.styles import apply_preset, resolve_preset
from studio.doc.project import Project
from studio.engine.inputs import analyze
from studio.engine.cancel import Log, quiet


def set_style(project: Project, name: str) -> None:
    """Apply a speaking-style preset (a built-in name or a file) to the project's style keys
    and blink rate."""
    apply_preset(project, resolve_preset(name))


def fill_automatic_tracks(project: Project, log: Log = quiet) -> str:
    """Analyse the inputs and write the automatic tracks into the project; returns a summary."""
    analysis = analyze(project, log)
    project.duration = analysis.duration
    project.tracks.visemes = list(analysis.visemes)
    if not project.tracks.style:
        set_style(project, project.style_preset)
    # after the preset, which sets the blink rate the automatic blinks are drawn from
    project.tracks.blinks = refresh_auto_blinks(project, analysis.performance)
    auto = sum(1 for b in project.tracks.blinks if b.source == "auto")
    return (f"{analysis.duration:.1f} s, {project.frame_count()} frames, "
            f"{len(project.tracks.visemes)} viseme segments, {auto} automatic blinks")


def save_project_file(project: Project, path: Path) -> None:
    from studio.doc.io import save_project

    save_project(project, path)
