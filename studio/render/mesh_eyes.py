"""Closed eyelids: lid skin over what the warp squeezes between the lids, and a lash line.

Moving the lid vertices together squeezes the eye's own pixels (iris, lashes) into a thin dark
slit that still reads as a squint. Near the end of a blink the slit is covered with the
subject's own lid colour, sampled once from the photo between the lid and its crease, and a
soft lash line is drawn where the lids meet.
"""

from __future__ import annotations

import numpy as np

# Lid paint fades in over the last part of a blink.
PAINT_FROM, PAINT_FULL = 0.45, 0.9
LASH_OPACITY = 0.55


def lid_colour(image: np.ndarray, upper: np.ndarray, crease: np.ndarray) -> np.ndarray:
    """Mean RGB of the skin between an upper lid (K x 2) and its crease ring (K x 2)."""
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    band = np.concatenate([upper, crease[::-1]])
    cv2.fillPoly(mask, [np.round(band).astype(np.int32)], 1)
    pixels = image[mask.astype(bool)]
    if len(pixels) == 0:
        return image.reshape(-1, 3).mean(axis=0)
    return pixels.astype(np.float64).mean(axis=0)


def draw_closed_lid(frame: np.ndarray, upper: np.ndarray, lower: np.ndarray, blink: float,
                    skin: np.ndarray, eye_width: float) -> None:
    """Paint one eye's lids closing (upper, lower: posed lid contours corner to corner, K x 2)."""
    import cv2

    cover = float(np.clip((blink - PAINT_FROM) / (PAINT_FULL - PAINT_FROM), 0.0, 1.0))
    if cover <= 0.0:
        return
    height, width = frame.shape[:2]
    pad = 3
    points = np.concatenate([upper, lower])
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + pad + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return
    shift = 4
    scale = 1 << shift

    def fixed(curve: np.ndarray) -> np.ndarray:
        return np.round((curve - [x0, y0]) * scale).astype(np.int32)

    # 1. skin over the slit, grown by about a pixel so no dark rim is left
    slit = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(slit, [fixed(np.concatenate([upper, lower[::-1]]))], 255, cv2.LINE_AA, shift)
    cv2.polylines(slit, [fixed(upper)], False, 255, max(int(round(eye_width * 0.08)), 2), cv2.LINE_AA, shift)
    skin_alpha = cv2.GaussianBlur(slit, (0, 0), 0.6).astype(np.float32)[..., None] * (cover / 255.0)
    # 2. lashes along the upper lid's edge
    lashes = np.zeros_like(slit)
    thickness = max(int(round(eye_width * 0.05)), 1)
    cv2.polylines(lashes, [fixed(upper)], False, 255, thickness, cv2.LINE_AA, shift)
    lash_alpha = lashes.astype(np.float32)[..., None] * (LASH_OPACITY * cover * cover / 255.0)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region = region * (1 - skin_alpha) + skin.astype(np.float32) * skin_alpha
    region = region * (1 - lash_alpha) + (skin.astype(np.float32) * 0.25) * lash_alpha
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
