"""The inside of an opening mouth: cavity, upper teeth, lower teeth and tongue.

A warp can only stretch the lips' own pixels across the gap, which reads as rubber. So the gap
between the posed inner lip contours is painted with a mouth interior shaded in the mouth's own
frame (along the lips, and along the face's down direction), sized by the mouth's width, and
blended in under the lips with an anti-aliased, slightly softened edge. Upper teeth hang from
where the upper lip rests on the skull; lower teeth ride on the jaw: raising the upper lip
uncovers teeth instead of lifting them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Visible tooth height, as a fraction of the inner mouth width; teeth recede toward the corners.
UPPER_TEETH, LOWER_TEETH = 0.17, 0.07
TEETH_SPAN, LOWER_TEETH_SPAN = 0.92, 0.6
# The interior fades in over this extra lip gap (fraction of mouth width).
FADE_IN = 0.05
CAVITY = np.array([70.0, 24.0, 28.0])
TONGUE = np.array([150.0, 72.0, 76.0])
GUM = np.array([190.0, 104.0, 108.0])
IVORY = np.array([236.0, 228.0, 212.0])


@dataclass
class MouthShape:
    """One frame's mouth in output pixels."""

    opening: np.ndarray       # N x 2 closed polygon of the posed inner lip contours
    upper_anchor: np.ndarray  # K x 2: upper inner lip at rest, posed rigidly with the skull
    lower_anchor: np.ndarray  # K x 2: lower inner lip at rest, posed with the jaw
    corners: np.ndarray       # 2 x 2 inner mouth corners (subject's right, left)
    down: np.ndarray          # 2: the face's down direction in the image
    extra_gap: float          # how much wider the lips part than at rest, pixels


def teeth_colour(image: np.ndarray, opening: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Tooth colour for this photo: the photo's own teeth if the mouth is open at rest, else ivory
    dimmed to the photo's exposure (teeth brighter than the photo's skin would glow)."""
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(opening).astype(np.int32)], 1)
    inside = image[mask.astype(bool)].astype(np.float64)
    exposure = np.clip(skin.mean() / 165.0, 0.55, 1.05)
    default = IVORY * exposure
    if len(inside) >= 12:
        brightness = inside.sum(axis=1)
        bright = inside[brightness >= np.quantile(brightness, 0.7)].mean(axis=0)
        if bright.sum() > 0.9 * default.sum():
            return np.clip(0.5 * bright + 0.5 * default, 0, 255)
    return default


def draw_mouth(frame: np.ndarray, mouth: MouthShape, teeth: np.ndarray, mouth_width: float) -> None:
    """Paint the mouth interior into frame (H x W x 3 uint8) in place."""
    import cv2

    fade = float(np.clip(mouth.extra_gap / max(FADE_IN * mouth_width, 1e-6), 0.0, 1.0))
    if fade <= 0.0:
        return
    # 1. the region: the opening plus a pixel of margin
    height, width = frame.shape[:2]
    x0, y0 = np.floor(mouth.opening.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(mouth.opening.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)

    # 2. mouth frame: t runs -1..1 corner to corner, b is pixels along the face's down
    mid = mouth.corners.mean(axis=0)
    along = mouth.corners[1] - mouth.corners[0]
    half = max(np.linalg.norm(along) / 2, 1.0)
    along /= 2 * half
    down = mouth.down / np.linalg.norm(mouth.down)
    rel_x, rel_y = xs - mid[0], ys - mid[1]
    t = (rel_x * along[0] + rel_y * along[1]) / half
    b = rel_x * down[0] + rel_y * down[1]

    def curve(points: np.ndarray) -> np.ndarray:
        rel = points - mid
        pt, pb = rel @ along / half, rel @ down
        order = np.argsort(pt)
        return np.interp(t, pt[order], pb[order])

    upper, lower = curve(mouth.upper_anchor), curve(mouth.lower_anchor)
    gap = np.maximum(lower - upper, 1.0)
    arch = np.clip(1.0 - 0.35 * t * t, 0.0, 1.0)
    span = np.clip((TEETH_SPAN - np.abs(t)) * half, 0.0, 1.0)

    # 3. layers, back to front: cavity, tongue, lower teeth, upper teeth (gum above them)
    depth = np.exp(-(t * t) / 0.5 - ((b - (upper + lower) / 2) / (0.6 * gap)) ** 2)
    colour = CAVITY[None, None, :] * (1.0 - 0.55 * depth)[..., None]
    tongue_b = lower - 0.22 * gap
    tongue = np.clip(1.0 - (t / 0.62) ** 2 - ((b - tongue_b) / (0.32 * gap + 1.0)) ** 2, 0.0, None)
    tongue_cover = np.clip(tongue * 6.0, 0.0, 1.0)[..., None]
    colour = colour * (1 - tongue_cover) + (TONGUE * (0.55 + 0.45 * np.sqrt(tongue)[..., None])) * tongue_cover
    recede = (1.0 - 0.45 * np.abs(t) ** 2)[..., None]
    lower_edge = lower - LOWER_TEETH * 2 * half * np.clip(1.0 - (t / LOWER_TEETH_SPAN) ** 2, 0.0, 1.0)
    lower_cover = np.clip(b - lower_edge + 0.5, 0.0, 1.0)[..., None] * (np.abs(t) < LOWER_TEETH_SPAN)[..., None]
    colour = colour * (1 - lower_cover) + teeth * 0.8 * recede * lower_cover
    upper_edge = upper + UPPER_TEETH * 2 * half * arch
    upper_cover = (np.clip(upper_edge - b + 0.5, 0.0, 1.0) * span)[..., None]
    # The upper lip shades the top of the teeth; thin gaps between the front teeth.
    shade = 0.85 + 0.15 * np.clip((b - upper) / (0.5 * UPPER_TEETH * 2 * half), 0.0, 1.0)
    teeth_along = np.abs(t) * 4.2
    seams = 1.0 - 0.12 * np.exp(-((teeth_along - np.round(teeth_along)) ** 2) / 0.004)
    tooth = teeth * (recede * (shade * seams)[..., None])
    gum_cover = np.clip(upper - 0.12 * 2 * half * arch - b + 0.5, 0.0, 1.0)[..., None]
    tooth = tooth * (1 - gum_cover) + GUM * (teeth.mean() / 230.0) * recede * gum_cover
    colour = colour * (1 - upper_cover) + tooth * upper_cover

    # 4. blend under the lips: anti-aliased opening, softened by a pixel, faded in with the gap
    shift = 4
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    poly = np.round((mouth.opening - [x0, y0]) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(mask, [poly], 255, lineType=cv2.LINE_AA, shift=shift)
    alpha = cv2.GaussianBlur(mask, (3, 3), 0.7).astype(np.float64)[..., None] * (fade / 255.0)
    region = frame[y0:y1, x0:x1]
    region[:] = np.clip(region * (1 - alpha) + colour * alpha + 0.5, 0, 255).astype(np.uint8)
