"""The diffusion renderer: stock diffusers parts refining the mesh render (see docs/diffusion.md).

Importing this package is cheap; torch and diffusers load when a renderer is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.doc.project import DiffusionSettings

if TYPE_CHECKING:
    from studio.render.diffusion.renderer import DiffusionRenderer

# Loaded weights are reused while the preset, folder and device stay the same: the studio
# recreates its renderer whenever render settings change, and SD1.5 takes seconds to load.
_loaded: dict[tuple, object] = {}


def create_diffusion_renderer(settings: DiffusionSettings, seed: int = 0) -> "DiffusionRenderer":
    """An unprepared DiffusionRenderer for the project's diffusion settings and seed."""
    from studio.render.diffusion.availability import require_diffusion

    require_diffusion()
    from studio.render.diffusion.device import resolve_device
    from studio.render.diffusion.diffused_frames import DiffusedFrameCache
    from studio.render.diffusion.loader import load_components, weights_key
    from studio.render.diffusion.manifests import load_preset, resolve_models_dir
    from studio.render.diffusion.renderer import DiffusionRenderer

    _quiet_library_progress()
    preset = load_preset(settings.model)
    root = resolve_models_dir(preset, settings.models_dir)
    if preset.built_in and preset.missing_files(root):
        from studio.render.diffusion.tiny import save_tiny_preset

        save_tiny_preset(root)
    device = resolve_device(settings.device)
    key = (preset.name, str(root), device, weights_key(preset, root))
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = (load_components(preset, root, device), DiffusedFrameCache())
    components, frame_cache = _loaded[key]
    return DiffusionRenderer(components, settings, seed, frame_cache=frame_cache)


def _quiet_library_progress() -> None:
    """diffusers' and transformers' own progress bars would interleave with the studio's."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
