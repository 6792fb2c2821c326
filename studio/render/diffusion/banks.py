"""The passes that fill the attention banks of reference and cross-frame attention (attention.py).

- **Reference attention** (the "reference-only" technique): the portrait itself, as the frames
  frame it (the mesh render at rest pose), is encoded, noised to each step's timestep with one
  fixed noise, and passed through the same U-Net with no control; every self-attention layer's
  keys and values are written to the portrait's bank. While a frame is denoised its
  self-attention also attends to them, so the face keeps the portrait's identity and texture.
- **Cross-frame attention**: the shot's anchor frame (the rest pose, the frame every other
  frame of the shot differs from) is denoised like any frame and writes its keys and values;
  each frame attends to them as well, as zero-shot video methods attend to a first frame, so
  appearance holds steady from frame to frame. The anchor is the rest pose rather than "the
  first frame" because frames are rendered in any order (scrubbing, chunks on a farm) and must
  not depend on it. With caches on, the anchor pass is the shot's reference pass, so it is free.

Both banks are made once per shot (per prepared portrait), so their cost is shared by every
frame; what each frame pays is attention over the extra tokens.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor

from studio.doc.errors import Cancelled
from studio.render.diffusion.attention import AttentionBank, AttentionControl
from studio.render.diffusion.pipeline import FaceControlPipeline
from studio.render.diffusion.step_cache import StepCache


@torch.no_grad()
def portrait_bank(
    pipeline: FaceControlPipeline,
    portrait: np.ndarray,
    strength: float,
    num_inference_steps: int,
    seed: int,
    step_cache_interval: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> AttentionBank:
    """The portrait's self-attention keys and values at each denoising step of the schedule.

    `portrait` is H x W x 3 uint8 at the working size. With `step_cache_interval` the deep
    blocks run on key steps only, as they do in the cached frames' passes that read the bank.
    """
    comps = pipeline.components
    device = comps.device.device
    dtype = comps.prompt_embeds.dtype
    scheduler = type(comps.scheduler).from_config(comps.scheduler.config)
    scheduler.set_timesteps(num_inference_steps, device=device)
    timesteps = pipeline.get_timesteps(scheduler, num_inference_steps, strength)
    height, width = portrait.shape[:2]
    image = pipeline.image_processor.preprocess(portrait[None].astype(np.float32) / 255.0, height=height, width=width)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    latents = comps.vae.encode(image.to(device=device, dtype=dtype)).latent_dist.sample(generator)
    latents = comps.vae.config.scaling_factor * latents
    noise = randn_tensor(latents.shape, generator=generator, device=latents.device, dtype=dtype)
    prompt = comps.prompt_embeds.expand(1, -1, -1)

    bank = AttentionBank()
    cache = StepCache(comps.unet, comps.controlnet, step_cache_interval) if step_cache_interval else None
    attention = AttentionControl(comps.unet, prompt=comps.prompt_embeds, prompt_kv=pipeline.prompt_kv, write=bank)
    with attention:
        if cache is not None:
            cache.__enter__()
        try:
            for i, t in enumerate(timesteps):
                if cancel is not None and cancel():
                    raise Cancelled(f"diffusion stopped before reference step {i + 1} of {len(timesteps)}")
                attention.begin_step(i)
                if cache is not None:
                    cache.state.begin_step(i)
                noisy = scheduler.add_noise(latents, noise, t.reshape(1))
                comps.unet(scheduler.scale_model_input(noisy, t), t, encoder_hidden_states=prompt, return_dict=False)
        finally:
            if cache is not None:
                cache.__exit__(None, None, None)
    return bank
