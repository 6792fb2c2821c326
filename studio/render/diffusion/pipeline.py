"""Face-mesh ControlNet img2img: the mesh render denoised under the face-mesh control image.

With no caches (`step_cache_interval=None`, no blend, no noise window) this performs, operation
for operation, what diffusers' StableDiffusionControlNetImg2ImgPipeline does without classifier-free
guidance (guidance_scale=1, the usual choice for img2img refinement and the only one for LCM),
with one generator per frame seeded by the project seed: the tests hold it to that exactly. The
cache hooks and the foreground blend are optional extras threaded through the same loop.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from diffusers.image_processor import VaeImageProcessor
from diffusers.utils.torch_utils import randn_tensor

from studio.doc.errors import Cancelled
from studio.render.diffusion.attention import AttentionBank, AttentionControl, PromptKV
from studio.render.diffusion.loader import DiffusionComponents
from studio.render.diffusion.step_cache import DeepFeatures, StepCache


@dataclass
class NoiseWindow:
    """Where a crop sits in the full frame's latent grid, so it gets the full frame's noise."""

    full_height: int
    full_width: int
    y0: int
    x0: int


@dataclass
class LatentBlend:
    """Blended latent denoising: outside `mask`, latents follow a reference trajectory.

    `trajectory[k]` are the reference latents (same crop) after k denoising steps, k=0 being the
    noised initial latents. Where the inputs did not change, the frame's own trajectory would
    match the reference up to the network's spatial mixing, so forcing it costs nothing
    visible, keeps the result seamless with the reference, and lets the work shrink to a crop.
    """

    mask: torch.Tensor              # B x 1 x h x w bool: latents this frame denoises itself
    trajectory: list[torch.Tensor]  # 1 x 4 x h x w each

    def apply(self, latents: torch.Tensor, k: int) -> torch.Tensor:
        return torch.where(self.mask, latents, self.trajectory[k].to(latents.dtype))


@dataclass
class PipelineOutput:
    images: np.ndarray                        # B x H x W x 3 float32 in 0..1
    trajectory: list[torch.Tensor] | None     # latents after each step (k=0: initial), if asked


StepCallback = Callable[[int, int, torch.Tensor], None]  # (step, total, predicted clean latents)


class FaceControlPipeline:
    def __init__(self, components: DiffusionComponents) -> None:
        self.components = components
        scale = components.vae_scale_factor
        self.image_processor = VaeImageProcessor(vae_scale_factor=scale)
        self.control_image_processor = VaeImageProcessor(
            vae_scale_factor=scale, do_convert_rgb=True, do_normalize=False
        )
        self.prompt_kv = PromptKV()  # the prompt's cross-attention K/V, kept across calls

    @property
    def size_multiple(self) -> int:
        return self.components.vae_scale_factor * self.components.unet_multiple

    def check_inputs(self, image, control_image, strength, num_inference_steps, blend, noise_window) -> None:
        if image.ndim != 4 or image.shape[-1] != 3 or image.dtype != np.uint8:
            raise ValueError(f"image must be B x H x W x 3 uint8, got {image.shape} {image.dtype}")
        if control_image.shape != image.shape or control_image.dtype != np.uint8:
            raise ValueError(f"control_image must match image {image.shape}, got {control_image.shape}")
        height, width = image.shape[1:3]
        # A crop (placed by its noise window) may end on any latent cell: the U-Net passes its
        # skip sizes to the upsamplers; whole frames keep every U-Net level whole.
        multiple = self.components.vae_scale_factor if noise_window is not None else self.size_multiple
        if height % multiple or width % multiple:
            raise ValueError(f"height and width must be multiples of {multiple}, got {width}x{height}")
        if not 0.0 < strength <= 1.0:
            raise ValueError(f"strength must be in (0, 1], got {strength}")
        if num_inference_steps < 1 or int(num_inference_steps * strength) < 1:
            raise ValueError(f"{num_inference_steps} steps at strength {strength} leave no step to run")
        scale = self.components.vae_scale_factor
        if blend is not None and tuple(blend.mask.shape) != (image.shape[0], 1, height // scale, width // scale):
            raise ValueError(f"blend mask {tuple(blend.mask.shape)} does not fit the latent grid")
        if noise_window is not None and (
            noise_window.y0 + height // scale > noise_window.full_height
            or noise_window.x0 + width // scale > noise_window.full_width
        ):
            raise ValueError("noise window reaches outside the full frame")

    def prepare_extra_step_kwargs(self, generators, eta: float) -> dict:
        """eta for DDIM, generators for schedulers that add noise per step (LCM), as diffusers does."""
        accepted = set(inspect.signature(self.scheduler.step).parameters)
        kwargs = {}
        if "eta" in accepted:
            kwargs["eta"] = eta
        if "generator" in accepted:
            kwargs["generator"] = generators
        return kwargs

    def get_timesteps(self, scheduler, num_inference_steps: int, strength: float):
        init_timestep = min(int(num_inference_steps * strength), num_inference_steps)
        t_start = max(num_inference_steps - init_timestep, 0)
        timesteps = scheduler.timesteps[t_start * scheduler.order:]
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(t_start * scheduler.order)
        return timesteps

    def prepare_latents(self, image, timestep, generators, noise_window, dtype):
        vae = self.components.vae
        batch = image.shape[0]
        image = image.to(device=self.components.device.device, dtype=dtype)
        if noise_window is None:
            # As diffusers does with a list of generators: encode one by one, then draw the noise.
            init_latents = torch.cat(
                [vae.encode(image[i:i + 1]).latent_dist.sample(generators[i]) for i in range(batch)]
            )
            init_latents = vae.config.scaling_factor * init_latents
            noise = randn_tensor(init_latents.shape, generator=generators, device=image.device, dtype=dtype)
        else:
            # The same two draws at full-frame size, cut to the window: a crop sees exactly the
            # noise the full frame would have at those latent pixels.
            dist = vae.encode(image).latent_dist
            _, channels, h, w = dist.mean.shape
            full = (1, channels, noise_window.full_height, noise_window.full_width)
            window = (slice(None), slice(None), slice(noise_window.y0, noise_window.y0 + h),
                      slice(noise_window.x0, noise_window.x0 + w))
            enc_noise, noise = [], []
            for gen in generators:
                enc_noise.append(randn_tensor(full, generator=gen, device=image.device, dtype=dtype)[window])
                noise.append(randn_tensor(full, generator=gen, device=image.device, dtype=dtype)[window])
            init_latents = vae.config.scaling_factor * (dist.mean + dist.std * torch.cat(enc_noise))
            noise = torch.cat(noise)
        return self.scheduler.add_noise(init_latents, noise, timestep)

    @torch.no_grad()
    def __call__(
        self,
        image: np.ndarray,
        control_image: np.ndarray,
        strength: float,
        num_inference_steps: int,
        seed: int,
        controlnet_conditioning_scale: float = 1.0,
        step_cache_interval: int | None = None,
        record_deep: DeepFeatures | None = None,
        borrow_deep: DeepFeatures | None = None,
        blend: LatentBlend | None = None,
        noise_window: NoiseWindow | None = None,
        return_trajectory: bool = False,
        reuse_prompt: bool = False,
        read_banks: tuple[AttentionBank, ...] = (),
        write_bank: AttentionBank | None = None,
        callback_on_step_end: StepCallback | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> PipelineOutput:
        comps = self.components
        device = comps.device.device

        # 1. Check inputs
        self.check_inputs(image, control_image, strength, num_inference_steps, blend, noise_window)
        batch, height, width = image.shape[:3]

        # 2. Define call parameters: one generator per frame, all seeded alike, so every frame
        #    (and every crop of it) starts from the same noise whatever batch it lands in.
        generators = [torch.Generator(device="cpu").manual_seed(seed) for _ in range(batch)]
        self.scheduler = type(comps.scheduler).from_config(comps.scheduler.config)
        step_kwargs = self.prepare_extra_step_kwargs(generators, eta=0.0)

        # 3. Encode input prompt (constant, encoded at load time). Reused, it is broadcast (a
        #    view), so the attention processor knows it and takes its keys and values as computed.
        if reuse_prompt:
            prompt_embeds = comps.prompt_embeds.expand(batch, -1, -1)
        else:
            prompt_embeds = comps.prompt_embeds.repeat(batch, 1, 1)

        # 4. Prepare image
        init = self.image_processor.preprocess(image.astype(np.float32) / 255.0, height=height, width=width)
        init = init.to(dtype=torch.float32)

        # 5. Prepare the ControlNet conditioning image
        control = self.control_image_processor.preprocess(
            control_image.astype(np.float32) / 255.0, height=height, width=width
        ).to(dtype=torch.float32)
        # Contiguous NCHW as diffusers' repeat_interleave leaves it: the preprocessed view is
        # channels-last in memory, and conv kernels round differently per memory layout.
        control = control.contiguous().to(device=device, dtype=comps.controlnet.dtype)

        # 6. Prepare timesteps and latent variables
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        timesteps = self.get_timesteps(self.scheduler, num_inference_steps, strength)
        latent_timestep = timesteps[:1].repeat(batch)
        latents = self.prepare_latents(init, latent_timestep, generators, noise_window, prompt_embeds.dtype)
        if blend is not None:
            latents = blend.apply(latents, 0)
        trajectory = [latents] if return_trajectory else None

        # 7. Denoising loop
        cache = None
        if step_cache_interval:
            window = None
            if borrow_deep is not None:
                h, w = latents.shape[-2:]
                window = (slice(noise_window.y0, noise_window.y0 + h), slice(noise_window.x0, noise_window.x0 + w))
            cache = StepCache(comps.unet, comps.controlnet, step_cache_interval,
                              record=record_deep, borrow=borrow_deep, window=window)
        attention = AttentionControl(
            comps.unet, comps.controlnet, prompt=comps.prompt_embeds if reuse_prompt else None,
            prompt_kv=self.prompt_kv, read=read_banks, write=write_bank,
        )
        if cache is not None:
            cache.__enter__()
        if attention.active:
            attention.__enter__()
        try:
            for i, t in enumerate(timesteps):
                if cancel is not None and cancel():
                    raise Cancelled(f"diffusion stopped before step {i + 1} of {len(timesteps)}")
                if cache is not None:
                    cache.state.begin_step(i)
                attention.begin_step(i)
                model_input = self.scheduler.scale_model_input(latents, t)
                down_res, mid_res = comps.controlnet(
                    model_input,
                    t,
                    encoder_hidden_states=prompt_embeds,
                    controlnet_cond=control,
                    conditioning_scale=controlnet_conditioning_scale,
                    guess_mode=False,
                    return_dict=False,
                )
                noise_pred = comps.unet(
                    model_input,
                    t,
                    encoder_hidden_states=prompt_embeds,
                    cross_attention_kwargs=None,
                    down_block_additional_residuals=down_res,
                    mid_block_additional_residual=mid_res,
                    added_cond_kwargs=None,
                    return_dict=False,
                )[0]
                step = self.scheduler.step(noise_pred, t, latents, **step_kwargs)
                latents = step.prev_sample
                x0 = step.denoised if hasattr(step, "denoised") else step.pred_original_sample
                if blend is not None:
                    latents = blend.apply(latents, i + 1)
                if trajectory is not None:
                    trajectory.append(latents)
                if callback_on_step_end is not None:
                    callback_on_step_end(i, len(timesteps), x0)
        finally:
            if attention.active:
                attention.__exit__(None, None, None)
            if cache is not None:
                cache.__exit__(None, None, None)

        # 8. Decode
        decoded = comps.vae.decode(latents / comps.vae.config.scaling_factor, return_dict=False, generator=generators)[0]
        images = self.image_processor.postprocess(decoded, output_type="np", do_denormalize=[True] * batch)
        return PipelineOutput(images=images, trajectory=trajectory)
