"""The diffusion renderer: stock diffusers parts refining the mesh render (see docs/diffusion.md).

Importing this package is cheap; torch and diffusers load when a renderer is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from studio.render.diffusion import availability
from studio.render.diffusion.device import DEVICES
from studio.render.diffusion.manifests import CHOOSE_MODELS_DIR
from studio.render.diffusion.settings import DiffusionSettings
from studio.render.registry import RendererKind, Setting

if TYPE_CHECKING:
    from studio.render.diffusion.renderer import DiffusionRenderer

# Loaded weights are reused while the preset, folder and device stay the same: the studio
# recreates its renderer whenever render settings change, and SD1.5 takes seconds to load.
_loaded: dict[tuple, object] = {}


def create_diffusion_renderer(settings: DiffusionSettings, seed: int = 0) -> "DiffusionRenderer":
    """An unprepared DiffusionRenderer for the project's diffusion settings and seed."""
    KIND.require()
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


TINY_MODEL_TIP = ("Random weights built into the studio: a test pattern that shows the diffusion "
                  "pipeline working, not a picture of the portrait. Choose an SD1.5 preset (and "
                  "its models folder) for real frames.")


TINY_MODEL_NOTICE = ("Diffusion with the built-in test pattern (random weights), not a "
                     "picture of the portrait: choose a model and its models folder for real "
                     "frames (Help > Diffusion Models)")


def _model_labels() -> dict[str, tuple[str, str]]:
    return {"tiny": ("tiny — test pattern (random weights)", TINY_MODEL_TIP)}


def _presets() -> list[str]:
    from studio.render.diffusion.manifests import available_presets

    return available_presets()


def _create(settings: Mapping[str, Any], seed: int) -> "DiffusionRenderer":
    return create_diffusion_renderer(DiffusionSettings(**settings), seed)


def _check_sources(settings: Mapping[str, Any]) -> None:
    """The preset exists and, unless it is built in, its models folder holds every file."""
    from studio.render.diffusion.manifests import load_preset, resolve_models_dir

    preset = load_preset(settings["model"])
    root = resolve_models_dir(preset, settings["models_dir"])
    if not preset.built_in:
        preset.check_folder(root)


def _models_help() -> str:
    from studio.render.diffusion.help_page import models_help_html

    return models_help_html()


def _report() -> list[tuple[str, str]]:
    import os

    from studio.render.diffusion.manifests import MODELS_ENV, available_presets, default_cache_dir

    return [("presets", ", ".join(available_presets())),
            ("models", os.environ.get(MODELS_ENV) or f"{default_cache_dir()} (built-in presets)")]


_DEFAULT = DiffusionSettings()

KIND = RendererKind(
    name="diffusion",
    label="diffusion",
    description="Stable Diffusion with a face ControlNet refining the mesh render: weights from "
                "a local models folder, torch and diffusers installed.",
    create=_create,
    settings=(
        Setting("model", "Model", "choice", _DEFAULT.model, choices=_presets, choice_labels=_model_labels,
                pattern="^(?!.*\\n)[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$",
                describe='must be a preset name such as "tiny" (not a path: the weights folder '
                         'is models_dir)',
                help="diffusion model preset (see models/README.md); the weights folder is --models",
                flag="--model"),
        Setting("models_dir", "Models folder", "folder", _DEFAULT.models_dir, flag="--models",
                help="folder holding diffusion model weights"),
        Setting("steps", "Steps", "int", _DEFAULT.steps, minimum=1, maximum=200, flag="--steps",
                help="diffusion denoising steps"),
        Setting("strength", "Strength", "float", _DEFAULT.strength, minimum=0.0, maximum=1.0,
                above_minimum=True, step=0.05, flag="--strength",
                help="img2img strength: how far each frame may move from the mesh render"),
        Setting("device", "Device", "text", _DEFAULT.device, choices=lambda: DEVICES,
                pattern="^(?!.*\\n)[A-Za-z0-9:_-]+$",
                describe="must be a device name such as auto, cpu, cuda, cuda:1 or mps",
                flag="--device", help="torch device: auto, cpu, cuda, mps"),
        Setting("cache", "Caches", "bool", _DEFAULT.cache, flag="--cache", flag_words=("on", "off"),
                text="Reuse work",
                help="step, foreground and frame caches: reuse work across denoising steps "
                     "and frames"),
        Setting("reference_attention", "Reference attention", "bool", _DEFAULT.reference_attention,
                flag="--reference-attention", flag_words=("on", "off"), text="Keep the portrait's identity",
                help="self-attention also attends to the portrait's own pass through the U-Net "
                     "(reference-only): the face keeps the portrait's identity and texture"),
        Setting("cross_frame", "Cross-frame attention", "bool", _DEFAULT.cross_frame,
                flag="--cross-frame", flag_words=("on", "off"), text="Steady from frame to frame",
                help="self-attention also attends to the shot's anchor frame (the rest pose): "
                     "steadier appearance from frame to frame"),
    ),
    uses_seed=True,
    preview_span=(2, 0),  # a frame costs seconds: only the next two
    playing_ahead=2,
    # looked up on each call, so a test (or a packaging check) can stand in for the lookup
    missing=lambda: availability.missing_packages(),
    missing_message=lambda names: availability.missing_message(names),
    missing_note=lambda names: availability.missing_note(names),
    check_sources=_check_sources,
    report=_report,
    commands="studio.render.diffusion.models_command",
    help_pages=(("Diffusion Models", _models_help),),
    notice=lambda settings: TINY_MODEL_NOTICE if settings["model"] == "tiny" else "",
    studio_wording=((CHOOSE_MODELS_DIR, "choose the folder that holds it with Models folder > "
                                        "Choose… in the inspector"),),
)
