"""Cheap per-step previews: the predicted clean latent mapped linearly to RGB.

A VAE decode per step would cost as much as a denoising step; a 4x3 matrix per latent pixel
costs nothing and shows the composition, colours and the face taking shape, which is what the
artist watches for. The final VAE decode replaces the preview.
"""

from __future__ import annotations

import numpy as np

# The widely used SD1.5 latent-to-RGB factors (rows: latent channels; columns: R, G, B), applied
# to latents already multiplied by the VAE scaling factor, giving roughly -1..1.
SD15_LATENT_RGB = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)


class LatentPreview:
    """Latents (B x 4 x h x w, scaled) -> B x H x W x 3 uint8 previews at output size."""

    def __init__(self, fitted: dict | None = None) -> None:
        if fitted is not None:
            # Fitted maps (the tiny preset's) already produce 0..1.
            self.factors = np.asarray(fitted["factors"], dtype=np.float32)
            self.bias = np.asarray(fitted["bias"], dtype=np.float32)
        else:
            self.factors = np.asarray(SD15_LATENT_RGB, dtype=np.float32) * 0.5
            self.bias = np.full(3, 0.5, dtype=np.float32)

    def to_rgb(self, latents, width: int, height: int) -> list[np.ndarray]:
        import cv2

        lat = latents.detach().float().cpu().numpy().transpose(0, 2, 3, 1)
        rgb = np.clip(lat @ self.factors + self.bias, 0.0, 1.0)
        return [
            cv2.resize((img * 255).round().astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)
            for img in rgb
        ]
