"""The headless engine's calls, as the preview worker makes them: a scene and frame signals.

The renderer (studio.engine.prepare_renderer) and the project's ControlFrames
(studio.engine.controls_for) are the ones `studio render` and the export use, so the viewport,
the app's export and the command line give the same frames for the same project. Both take
snapshots, so the UI may go on editing the project while a worker renders from it.
"""

from __future__ import annotations

import copy

from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.project import Project, VisemeSegment
from studio.engine.inputs import Analysis
from studio.engine.controls import controls_for
from studio.engine.frames import prepare_renderer
from studio.jobs.preview_worker import Scene
from studio.jobs.signals import FrameSignals
from studio.render.registry import renderer_kind, stored_settings


def scene_key(project: Project, rig: FaceRig, width: int, height: int) -> str:
    """What the prepared renderer depends on: the portrait, the size, and what its kind says
    (the mesh ignores the seed; the diffusion renderer's settings and seed matter)."""
    kind = renderer_kind(project.render.renderer)
    stored = stored_settings(project.render, kind.name)
    return f"{rig.image_hash}:{width}x{height}:{kind.scene_key(stored, project.seed)}"


def scene_for(project: Project, rig: FaceRig, width: int | None = None,
              height: int | None = None) -> Scene:
    """The renderer the project asks for, prepared for the portrait on first use."""
    width = width or project.width
    height = height or project.height
    snapshot = copy.copy(project)
    snapshot.render = copy.deepcopy(project.render)
    return Scene(scene_key(project, rig, width, height),
                 lambda: prepare_renderer(snapshot, rig, width, height))


def signals_for(project: Project, rig: FaceRig, performance: Performance | None,
                visemes: list[VisemeSegment] | None = None) -> FrameSignals:
    """The per-frame controls of a snapshot of the project (built lazily, on the worker).

    `visemes` is the automatic lip sync, used while the project's viseme track is empty; None
    (lip sync still running) leaves the mouth to the loudness. Without a voice clip there is no
    performance: the portrait follows the artist's tracks alone.
    """
    snapshot = copy.deepcopy(project)
    analysis = Analysis(rig, performance, list(visemes or []), snapshot.duration)
    return FrameSignals(snapshot.frame_count(), lambda: controls_for(snapshot, analysis))
