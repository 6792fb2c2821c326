"""The engine calls a preview or an export makes: a renderer for a project, its frame signals.

Both take snapshots, so the UI may go on editing the project while a worker renders from it.
"""

from __future__ import annotations

import copy

from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.project import Project
from studio.jobs.preview import Scene
from studio.jobs.signals import FrameSignals
from studio.render.base import Renderer


def make_renderer(name: str) -> Renderer:
    if name == "mesh":
        from studio.render.mesh import MeshRenderer

        return MeshRenderer()
    raise InputError(f"the {name} renderer is not available in this build; choose mesh")


def scene_for(project: Project, rig: FaceRig, width: int | None = None,
              height: int | None = None) -> Scene:
    """The renderer the project asks for, prepared for the portrait on first use."""
    width = width or project.width
    height = height or project.height
    settings = copy.deepcopy(project.render)
    key = f"{rig.image_hash}:{width}x{height}:{settings}"

    def prepare() -> Renderer:
        renderer = make_renderer(settings.renderer)
        renderer.prepare(rig, width, height)
        return renderer

    return Scene(key, prepare)


def signals_for(project: Project, performance: Performance | None) -> FrameSignals:
    """The per-frame controls of a snapshot of the project (built lazily, on the worker)."""
    snapshot = copy.deepcopy(project)

    def build():
        from studio.conditioning.sequence import build_controls

        return build_controls(snapshot, performance)

    return FrameSignals(snapshot.frame_count(), build)
