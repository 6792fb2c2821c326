"""Load a preset's components from a local diffusers-layout folder (never from a model hub).

Every file is checked before torch is imported, so a wrong folder costs the user a clear message
instead of a slow import and a traceback. The empty-ish prompt is encoded once here: the renderer
conditions on the face through the ControlNet and img2img, so the text embedding is a constant.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.doc.errors import InputError
from studio.render.diffusion.device import DeviceChoice
from studio.render.diffusion.manifests import Preset


@dataclass
class DiffusionComponents:
    unet: Any
    controlnet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler: Any
    prompt_embeds: Any           # 1 x tokens x dim, on device
    latent_rgb: dict | None      # {"factors": 4x3, "bias": 3} fitted for this VAE, if shipped
    device: DeviceChoice
    model_key: str               # identifies preset + weights, for the frame cache
    # One denoising at a time: the studio's preview and an export (or a queued render) share
    # these loaded networks, and the caches attach their hooks to them for a whole call.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def unet_multiple(self) -> int:
        """Latent sizes must be multiples of this so every U-Net level has whole pixels."""
        return 2 ** (len(self.unet.config.block_out_channels) - 1)


def weights_key(preset: Preset, root: Path) -> str:
    """A digest of the preset (name, prompt) and its files' sizes and times: changes with the weights."""
    h = hashlib.blake2b(f"{preset.name}|{preset.prompt}".encode(), digest_size=12)
    for comp in preset.components.values():
        for alternatives in comp.files:
            for rel in alternatives:
                p = root / rel
                if p.is_file():
                    st = p.stat()
                    h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def encode_prompt(tokenizer, text_encoder, prompt: str, device: str):
    """The same tokenisation and encoder call as diffusers' StableDiffusion encode_prompt."""
    import torch

    ids = tokenizer(
        prompt,
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids
    with torch.no_grad():
        return text_encoder(ids.to(device), attention_mask=None)[0]


def load_components(preset: Preset, root: Path, device: DeviceChoice) -> DiffusionComponents:
    preset.check_folder(root)
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, LCMScheduler, UNet2DConditionModel
    from safetensors.torch import load_file
    from transformers import CLIPTextModel, CLIPTokenizer

    from studio.render.diffusion.lora import fuse_lora

    comps = preset.components
    dtype = torch.float16 if device.half else torch.float32
    # Without accelerate, diffusers would print an install hint on every load; say what we do.
    low_memory = {"low_cpu_mem_usage": importlib.util.find_spec("accelerate") is not None}
    try:
        unet = UNet2DConditionModel.from_pretrained(root / comps["unet"].folder, torch_dtype=dtype, **low_memory)
        controlnet = ControlNetModel.from_pretrained(root / comps["controlnet"].folder, torch_dtype=dtype, **low_memory)
        vae = AutoencoderKL.from_pretrained(root / comps["vae"].folder, torch_dtype=dtype, **low_memory)
        text_encoder = CLIPTextModel.from_pretrained(root / comps["text_encoder"].folder, torch_dtype=dtype)
        tokenizer = CLIPTokenizer.from_pretrained(root / comps["tokenizer"].folder)
        scheduler_class = LCMScheduler if preset.scheduler == "lcm" else DDIMScheduler
        scheduler = scheduler_class.from_pretrained(root / comps["scheduler"].folder)
        if "lcm_lora" in comps:
            lora_file = root / comps["lcm_lora"].files[0][0]
            try:
                fuse_lora(unet, load_file(lora_file))
            except ValueError as exc:
                raise InputError(f"cannot use the LoRA {lora_file}: {exc}") from exc
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"could not load preset '{preset.name}' from {root}: {first_line} "
            f"(re-copy the files listed in models/{preset.name}.json)"
        ) from exc
    for model in (unet, controlnet, vae, text_encoder):
        model.to(device.device).eval().requires_grad_(False)
    latent_rgb = None
    if "latent_rgb" in comps and (root / comps["latent_rgb"].files[0][0]).is_file():
        latent_rgb = json.loads((root / comps["latent_rgb"].files[0][0]).read_text(encoding="utf-8"))
    return DiffusionComponents(
        unet=unet,
        controlnet=controlnet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        prompt_embeds=encode_prompt(tokenizer, text_encoder, preset.prompt, device.device),
        latent_rgb=latent_rgb,
        device=device,
        model_key=weights_key(preset, root),
    )
