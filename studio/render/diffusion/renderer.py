"""DiffusionRenderer: the mesh render refined by a face-mesh ControlNet, with every cache.

Per portrait (`prepare`) the mesh renderer is fitted at a working size the U-Net can divide.
Per batch of frames (`render_batch`):
- frames whose signals, settings, portrait and weights were rendered before come from the frame
  cache;
- with caching on, the shot's reference frame (the rest pose) is denoised once over the whole
  frame, and each frame then denoises only a crop around what differs from it (see
  foreground.py): the shallow level of the U-Net and ControlNet runs on the crop, their deep
  features are the reference pass's (step_cache.py), and the prompt's attention keys and values
  are computed once (attention.py);
- with caching off, every frame is the plain diffusers ControlNet img2img result.
The preview callback receives the mesh render the denoising starts from, the predicted clean
image after every step, then the final decode; a cancel callable stops the batch at the next
step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from studio.analysis.face_rig import FaceRig
from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import InputError
from studio.render.diffusion.attention import AttentionBank
from studio.render.diffusion.banks import portrait_bank
from studio.render.diffusion.control_image import draw_control_image
from studio.render.diffusion.foreground import (
    changed_pixels,
    dilate,
    feather,
    latent_mask,
    work_box,
)
from studio.render.diffusion.diffused_frames import DiffusedFrameCache, frame_key
from studio.render.diffusion.latent_preview import LatentPreview
from studio.render.diffusion.loader import DiffusionComponents
from studio.render.diffusion.settings import DiffusionSettings
from studio.render.diffusion.pipeline import FaceControlPipeline, LatentBlend, NoiseWindow
from studio.render.diffusion.step_cache import DeepFeatures
from studio.render.mesh import MeshRenderer
from studio.render.base import PreviewCallback, PreviewEvent

DEFAULT_BATCH_SIZE = 4
DEFAULT_STEP_CACHE_INTERVAL = 3
# Latent cells around the changed pixels that follow the frame's own trajectory, and the extra
# cells of context the crop keeps around them (see foreground.py).
WORK_CELLS = 2
CONTEXT_CELLS = 1
CROP_CELLS = 1


@dataclass
class _Reference:
    init: np.ndarray                  # working size, uint8
    control: np.ndarray
    trajectory: list[torch.Tensor]    # 1 x 4 x h x w after k steps
    image: np.ndarray                 # working size, float32 0..1
    x0: torch.Tensor                  # the last predicted clean latents, for previews
    deep: DeepFeatures                # its deep U-Net and ControlNet features per step


class DiffusionRenderer:
    name = "diffusion"
    renders_in_threads = False  # torch uses every core for one batch already

    def __init__(
        self,
        components: DiffusionComponents,
        settings: DiffusionSettings,
        seed: int = 0,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        step_cache_interval: int = DEFAULT_STEP_CACHE_INTERVAL,
        frame_cache: DiffusedFrameCache | None = None,
    ) -> None:
        if settings.steps < 1:
            raise InputError(f"diffusion steps must be at least 1, got {settings.steps}")
        if not 0.0 < settings.strength <= 1.0:
            raise InputError(f"diffusion strength must be above 0 and at most 1, got {settings.strength}")
        if int(settings.steps * settings.strength) < 1:
            raise InputError(
                f"{settings.steps} steps at strength {settings.strength} run no denoising step: "
                "raise --steps or --strength"
            )
        self.components = components
        self.settings = settings
        self.seed = int(seed)
        self.batch_size = max(1, int(batch_size))
        self.step_cache_interval = step_cache_interval
        self.frame_cache = frame_cache if frame_cache is not None else DiffusedFrameCache()
        self.pipeline = FaceControlPipeline(components)
        self.preview = LatentPreview(components.latent_rgb)
        self._mesh: MeshRenderer | None = None
        self._reference: _Reference | None = None
        self._size = (0, 0)
        self._work_size = (0, 0)
        self._context = ""

    # -- per portrait --------------------------------------------------------------------------
    def prepare(self, rig: FaceRig, width: int, height: int) -> None:
        multiple = self.pipeline.size_multiple
        work = tuple(max(multiple, round(side / multiple) * multiple) for side in (width, height))
        self._mesh = MeshRenderer()
        self._mesh.prepare(rig, *work)
        self._size = (int(width), int(height))
        self._work_size = work
        self._reference = None
        self._portrait_bank: AttentionBank | None = None
        self._anchor_bank: AttentionBank | None = None
        s = self.settings
        self._context = (
            f"{rig.image_hash}|{width}x{height}|seed {self.seed}|{self.components.model_key}|"
            f"steps {s.steps}|strength {s.strength:.6f}|interval {self.step_cache_interval}|"
            f"reference attention {s.reference_attention}|cross-frame {s.cross_frame}"
        )

    # -- per frame -----------------------------------------------------------------------------
    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        rgb = self.render_batch([frame])[0]
        if not with_alpha:
            return rgb
        alpha = self._mesh.render(frame, with_alpha=True)[..., 3]
        return np.dstack([rgb, self._to_output(alpha)])

    def posed_landmarks(self, frame: ControlFrame) -> np.ndarray:
        """478 x 2 positions (output pixels) of the re-posed face mesh the frame is conditioned
        on, for the studio's landmarks overlay. The mesh runs at the pipeline's working size, so
        its positions are scaled to the output size."""
        if self._mesh is None:
            raise RuntimeError("DiffusionRenderer.prepare(rig, width, height) must be called first")
        scale = np.array(self._size, dtype=np.float32) / np.array(self._work_size, dtype=np.float32)
        return self._mesh.posed_landmarks(frame) * scale

    def render_batch(
        self,
        frames: list[ControlFrame],
        preview: PreviewCallback | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> list[np.ndarray]:
        """H x W x 3 uint8 per frame, in order. Raises Cancelled when `cancel()` turns true."""
        # 1. check inputs
        if self._mesh is None:
            raise RuntimeError("DiffusionRenderer.prepare(rig, width, height) must be called before rendering")
        frames = list(frames)
        if not all(isinstance(f, ControlFrame) for f in frames):
            raise TypeError("render_batch takes ControlFrames")

        # 2. frame cache
        results: list[np.ndarray | None] = [None] * len(frames)
        keys = [frame_key(f.signal_key(), self._context) for f in frames]
        todo = []
        for i, key in enumerate(keys):
            cached = self.frame_cache.get(key) if self.settings.cache else None
            if cached is not None:
                results[i] = cached
            else:
                todo.append(i)

        # 3. denoise the rest, a batch at a time, one caller at a time on these networks (the
        # preview and an export share them)
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            batch = [frames[i] for i in chunk]
            with self.components.lock:
                images = (self._denoise_cached if self.settings.cache else self._denoise_plain)(
                    batch, preview, cancel)
            for i, image in zip(chunk, images):
                results[i] = image
                if self.settings.cache:
                    self.frame_cache.put(keys[i], image)
        return results

    # -- internals -----------------------------------------------------------------------------
    def _inputs(self, frame: ControlFrame) -> tuple[np.ndarray, np.ndarray]:
        init = self._mesh.render(frame)
        control = draw_control_image(self._mesh.posed_landmarks(frame), *self._work_size)
        return init, control

    def _to_output(self, image: np.ndarray) -> np.ndarray:
        import cv2

        if image.dtype != np.uint8:
            image = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
        if image.shape[1::-1] != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        return image

    @property
    def denoising_steps(self) -> int:
        return int(self.settings.steps * self.settings.strength)

    def _emit(self, preview, frames, step, images, final=False) -> None:
        if preview is not None:
            preview(PreviewEvent(frames=frames, step=step, total=self.denoising_steps, images=images, final=final))

    def _denoise_plain(self, frames, preview, cancel) -> list[np.ndarray]:
        inits, controls = zip(*(self._inputs(f) for f in frames))
        width, height = self._size
        if preview is not None:
            self._emit(preview, frames, 0, [self._to_output(i) for i in inits])

        def on_step(i, total, x0):
            if preview is not None:
                self._emit(preview, frames, i + 1, self.preview.to_rgb(x0, width, height))

        s = self.settings
        banks = self._portrait_banks(cancel) + self._plain_anchor_banks(cancel)
        out = self.pipeline(
            np.stack(inits), np.stack(controls), s.strength, s.steps, self.seed, read_banks=banks,
            callback_on_step_end=on_step, cancel=cancel,
        )
        images = [self._to_output(img) for img in out.images]
        self._emit(preview, frames, self.denoising_steps, images, final=True)
        return images

    # -- attention banks (banks.py), made once per shot -----------------------------------------
    def _portrait_banks(self, cancel) -> tuple[AttentionBank, ...]:
        """The portrait's bank when reference attention is on; the step cache's schedule if caching."""
        s = self.settings
        if not s.reference_attention:
            return ()
        if self._portrait_bank is None:
            init, _ = self._inputs(ControlFrame())
            interval = self.step_cache_interval if s.cache else None
            self._portrait_bank = portrait_bank(self.pipeline, init, s.strength, s.steps, self.seed, interval, cancel)
        return (self._portrait_bank,)

    def _plain_anchor_banks(self, cancel) -> tuple[AttentionBank, ...]:
        """Without caches, the anchor (rest pose) frame is denoised once, plainly, to fill its bank."""
        s = self.settings
        if not s.cross_frame:
            return ()
        if self._anchor_bank is None:
            init, control = self._inputs(ControlFrame())
            bank = AttentionBank()
            self.pipeline(init[None], control[None], s.strength, s.steps, self.seed,
                          read_banks=self._portrait_banks(cancel), write_bank=bank, cancel=cancel)
            self._anchor_bank = bank
        return (self._anchor_bank,)

    def _reference_pass(self, cancel) -> _Reference:
        """The shot's reference frame, once; with cross-frame attention it is also the anchor."""
        s = self.settings
        if self._reference is None:
            init, control = self._inputs(ControlFrame())
            last = {}
            deep = DeepFeatures()
            anchor = AttentionBank() if s.cross_frame else None
            out = self.pipeline(
                init[None], control[None], s.strength, s.steps, self.seed,
                step_cache_interval=self.step_cache_interval, return_trajectory=True, reuse_prompt=True,
                record_deep=deep, read_banks=self._portrait_banks(cancel), write_bank=anchor,
                callback_on_step_end=lambda i, n, x0: last.update(x0=x0), cancel=cancel,
            )
            self._reference = _Reference(init, control, out.trajectory, out.images[0], last["x0"], deep)
            self._anchor_bank = anchor
        return self._reference

    def _denoise_cached(self, frames, preview, cancel) -> list[np.ndarray]:
        ref = self._reference_pass(cancel)
        scale = self.components.vae_scale_factor
        inits, controls = zip(*(self._inputs(f) for f in frames))
        changed = [changed_pixels(i, ref.init, c, ref.control) for i, c in zip(inits, controls)]
        results = [ref.image] * len(frames)
        active = [i for i, mask in enumerate(changed) if mask.any()]
        if not active:
            return [self._to_output(img) for img in results]

        # The crop: every active frame's changed pixels, grown by the latent cells that follow
        # the frame's own trajectory and a context margin, on the U-Net's grid.
        work = [dilate(changed[i], WORK_CELLS * scale) for i in active]
        box = work_box(work, margin=CONTEXT_CELLS * scale, multiple=scale * CROP_CELLS)
        lbox = box.scaled(scale)
        device = self.components.device.device
        lmask = torch.from_numpy(np.stack([latent_mask(w[box.slices], scale) for w in work]))[:, None].to(device)
        crop = (slice(None), slice(None), slice(lbox.y0, lbox.y1), slice(lbox.x0, lbox.x1))
        blend = LatentBlend(mask=lmask, trajectory=[t[crop] for t in ref.trajectory])
        full_h, full_w = ref.trajectory[0].shape[-2:]
        window = NoiseWindow(full_h, full_w, lbox.y0, lbox.x0)
        batch_frames = [frames[i] for i in active]
        width, height = self._size
        if preview is not None:
            self._emit(preview, batch_frames, 0, [self._to_output(inits[i]) for i in active])

        def on_step(i, total, x0):
            if preview is None:
                return
            full = ref.x0.expand(len(active), -1, -1, -1).clone()
            full[crop] = torch.where(lmask, x0.to(full.dtype), full[crop])
            self._emit(preview, batch_frames, i + 1, self.preview.to_rgb(full, width, height))

        s = self.settings
        out = self.pipeline(
            np.stack([inits[i][box.slices] for i in active]),
            np.stack([controls[i][box.slices] for i in active]),
            s.strength, s.steps, self.seed,
            step_cache_interval=self.step_cache_interval, blend=blend, noise_window=window, reuse_prompt=True,
            borrow_deep=ref.deep,
            read_banks=self._portrait_banks(cancel) + ((self._anchor_bank,) if s.cross_frame else ()),
            callback_on_step_end=on_step, cancel=cancel,
        )
        for j, i in enumerate(active):
            soft = feather(dilate(changed[i], scale), sigma=scale / 2)[box.slices][..., None]
            image = ref.image.copy()
            image[box.slices] = ref.image[box.slices] * (1.0 - soft) + out.images[j] * soft
            results[i] = image
        images = [self._to_output(img) for img in results]
        self._emit(preview, batch_frames, self.denoising_steps, [images[i] for i in active], final=True)
        return images
