"""Foreground-only work: denoise a crop around what changed, take the rest from a reference.

The mesh renderer keeps the background still and the control image is black away from the face,
so between a frame and the shot's reference frame (the rest pose) only a region around the head
differs. The reference is denoised once per shot over the whole frame and its latent trajectory
kept; each frame then denoises only a crop around its changed pixels (so convolutions and
attention see only that region), with latents outside the changed region pinned to the
reference trajectory at every step (blended latent diffusion), and is composited over the
reference image with a feathered mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHANGE_THRESHOLD = 6  # 8-bit levels: smaller differences (resampling of a barely moved shoulder) count as unchanged


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def scaled(self, factor: int) -> "Box":
        return Box(self.x0 // factor, self.y0 // factor, self.x1 // factor, self.y1 // factor)

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


def changed_pixels(init: np.ndarray, ref_init: np.ndarray, control: np.ndarray, ref_control: np.ndarray) -> np.ndarray:
    """H x W bool: where either network input differs from the reference frame's."""
    init_diff = np.abs(init.astype(np.int16) - ref_init.astype(np.int16)).max(axis=2) >= CHANGE_THRESHOLD
    control_diff = (control != ref_control).any(axis=2)
    return init_diff | control_diff


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    if radius <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def work_box(masks: list[np.ndarray], margin: int, multiple: int) -> Box | None:
    """The crop covering every mask plus `margin`, its edges on a `multiple` grid; None if empty."""
    union = np.logical_or.reduce(masks)
    ys, xs = np.nonzero(union)
    if len(ys) == 0:
        return None
    height, width = union.shape
    x0 = max(0, (int(xs.min()) - margin) // multiple * multiple)
    y0 = max(0, (int(ys.min()) - margin) // multiple * multiple)
    x1 = min(width, -(-(int(xs.max()) + 1 + margin) // multiple) * multiple)
    y1 = min(height, -(-(int(ys.max()) + 1 + margin) // multiple) * multiple)
    return Box(x0, y0, x1, y1)


def latent_mask(mask: np.ndarray, scale: int) -> np.ndarray:
    """h x w bool: latent pixels whose scale x scale cell holds any masked pixel."""
    h, w = mask.shape[0] // scale, mask.shape[1] // scale
    return mask[: h * scale, : w * scale].reshape(h, scale, w, scale).any(axis=(1, 3))


def feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    """H x W float32 in 0..1: a soft version of `mask` for compositing without a seam."""
    import cv2

    return np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), 0.0, 1.0)
