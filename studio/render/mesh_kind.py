"""The mesh renderer as the registry lists it (studio.render.registry): the default, built in.

Kept apart from studio.render.mesh so that listing the renderers loads neither OpenCV nor the
mesh code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.render.registry import RendererKind


def _create(settings: Mapping[str, Any], seed: int):
    from studio.render.mesh import MeshRenderer

    return MeshRenderer()


KIND = RendererKind(
    name="mesh",
    label="mesh",
    description="The portrait's own face mesh, re-posed per frame on the CPU: real time, "
                "no model weights.",
    create=_create,
    preview_span=(25, 5),  # a frame costs milliseconds: a second ahead when the playhead stops
    playing_ahead=50,
)
