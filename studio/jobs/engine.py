"""The headless engine's calls, as a preview or an export makes them: a scene and frame signals.

Renderer choice (studio.render.registry) and the project's ControlFrames (studio.render.clip's
`controls_for`: the stored or automatic viseme track, the speaking-style preset's shaping) are
the ones `studio render` uses, so the viewport, the app's export and the command line give the
same frames for the same project. Both take snapshots, so the UI may go on editing the project
while a worker renders from it.
"""

from __future__ import annotations

import copy

from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.project import Project, VisemeSegment
from studio.jobs.preview_worker import Scene
from studio.jobs.signals import FrameSignals
from studio.render.base import Renderer
from studio.render.clip import Analysis, controls_for
from studio.render.registry import create_renderer, renderer_kind, stored_settings


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
    settings = copy.deepcopy(project.render)
    seed = project.seed

    def prepare() -> Renderer:
        renderer = create_renderer(settings, seed)
        renderer.prepare(rig, width, height)
        return renderer

    return Scene(scene_key(project, rig, width, height), prepare)


def signals_for(project: Project, rig: FaceRig, performance: Performance | None,
                visemes: list[VisemeSegment] | None = None) -> FrameSignals:
    """The per-frame controls of a snapshot of the project (built lazily, on the worker).

    `visemes` is the automatic lip sync, used while the project's viseme track is empty; None
    (lip sync still running) leaves the mouth to the loudness. Without a voice clip there is no
    performance: the portrait follows the artist's tracks alone.
    """
    snapshot = copy.deepcopy(project)

    def build():
        if performance is None:
            from studio.conditioning.sequence import build_controls

            return build_controls(snapshot, None)
        analysis = Analysis(rig, performance, list(visemes or []), snapshot.duration)
        return controls_for(snapshot, analysis)

    return FrameSignals(snapshot.frame_count(), build)
