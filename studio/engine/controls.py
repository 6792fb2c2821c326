"""The project's tracks over the automatic performance: its ControlSequence."""

from __future__ import annotations

import copy

from studio.conditioning.styles import resolve_preset, shape_performance
from studio.conditioning.sequence import ControlSequence, build_controls
from studio.doc.project import Project
from studio.engine.inputs import Analysis


def controls_for(project: Project, analysis: Analysis) -> ControlSequence:
    """Per-frame control arrays for the whole clip (a few numbers a frame; a ControlFrame is
    made only when a frame is rendered).

    The viseme track stored in the project wins over the automatic one, so edits to it (and
    segments the artist overrode) reach the mouth; an empty track means "from the audio".
    Shallow copies only: the project itself is not changed.
    """
    project = copy.copy(project)
    project.duration = analysis.duration
    if not project.tracks.visemes and analysis.visemes:
        project.tracks = copy.copy(project.tracks)
        project.tracks.visemes = analysis.visemes
    if analysis.performance is None:
        return build_controls(project, None)
    performance = shape_performance(analysis.performance, resolve_preset(project.style_preset))
    return build_controls(project, performance)
