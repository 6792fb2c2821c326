"""The one place a renderer is chosen from a project's settings, for the CLI and the studio alike."""

from __future__ import annotations

from studio.doc.errors import InputError
from studio.doc.project import RENDERERS, RenderSettings
from studio.render.base import Renderer


def create_renderer(settings: RenderSettings, seed: int = 0) -> Renderer:
    """An unprepared renderer for `settings.renderer`; heavy modules load only when chosen."""
    if settings.renderer == "mesh":
        from studio.render.mesh import MeshRenderer

        return MeshRenderer()
    if settings.renderer == "diffusion":
        from studio.render.diffusion import create_diffusion_renderer

        return create_diffusion_renderer(settings.diffusion, seed)
    raise InputError(f"unknown renderer '{settings.renderer}': use one of {', '.join(RENDERERS)}")
