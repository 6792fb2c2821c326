"""The diffusion renderer's settings as it reads them: the checked values of the project's
render.diffusion object over the defaults its RendererKind declares (studio.render.diffusion)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DiffusionSettings:
    model: str = "tiny"
    steps: int = 8
    strength: float = 0.5
    cache: bool = True
    device: str = "auto"
    models_dir: str | None = None
    reference_attention: bool = False
    cross_frame: bool = False
