"""FaceRig: what portrait analysis hands to the renderers.

Everything a renderer needs to re-pose the portrait, computed once per image (and cached by the
image's hash), so that per-frame work touches only the ControlFrame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FaceRig:
    image: np.ndarray          # H x W x 3 uint8 RGB, upright (EXIF applied), alpha composited away
    landmarks: np.ndarray      # 478 x 3 float32, MediaPipe FaceMesh with irises: x, y in image
                               # pixels, z in the same pixel units (MediaPipe z x image width)
    mask: np.ndarray           # H x W float32 in 0..1, person (head, hair, body) segmentation
    clean_plate: np.ndarray    # H x W x 3 uint8, the background with the person inpainted out
    pose: tuple[float, float, float]  # the portrait's own (yaw, pitch, roll) in degrees
    face_box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, of the animated face
    faces_found: int           # faces detected; the largest is animated
    image_hash: str            # hex digest of the decoded pixels: the analysis cache key
    source: str                # the file it came from
    alpha: np.ndarray | None = None  # H x W uint8 if the input had transparency

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]
