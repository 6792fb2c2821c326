"""Closing eyelids drawn as skin: the lid sheet, its crease and the lash line.

Moving the lid vertices together squeezes the eye's own pixels (iris, lashes, the thin strip of
lid above them) into a smear that reads as grey blur, not as a closed eye. So, as a blink
proceeds, the area from the posed crease down to the descending lid edge is painted with a lid
sheet: the subject's own skin from between the brow and the crease, stretched over the lid,
its tone drawn toward the under-eye skin near the lid edge, lit as a surface bulging over the
eyeball, with a soft crease shadow along its top and a thin dark lash line along its edge. At
the end of a blink the edge reaches the lower lid and the line lies on the closure curve,
which sags like the lower lid does. Everything photo-dependent is sampled once per portrait;
per frame the work is one eye-sized box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The sheet fades in over this part of a blink; the lid edge reaches the lower lid over the last.
COVER_FROM, COVER_FULL = 0.08, 0.4
MEET_FROM = 0.7
# Texture grid of the skin taken from between the brow fold and the crease.
GRID_U, GRID_V = 24, 8
# Lash line thickness (fraction of the eye's width) and opacity.
LASH_WIDTH, LASH_OPACITY = 0.035, 0.85


@dataclass
class EyeLid:
    """One eye's lid skin, measured on the photo at rest."""

    skin: np.ndarray    # GRID_V x GRID_U x 3 float32: skin from the fold (row 0) to the crease
    under: np.ndarray   # 3: the skin under the lower lid
    lash: np.ndarray    # 3: the photo's own lash colour


def _along(curve: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Points at the given fractions of a polyline's length."""
    steps = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    length = np.concatenate([[0.0], np.cumsum(steps)])
    at = fractions * length[-1]
    return np.column_stack([np.interp(at, length, curve[:, 0]), np.interp(at, length, curve[:, 1])])


def build_eye_lid(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, fold: np.ndarray,
                  crease: np.ndarray, under: np.ndarray) -> EyeLid:
    """Sample one eye's lid skin (all curves K x 2 rest pixels, outer corner to inner)."""
    import cv2

    photo = image.astype(np.float32)
    u = np.linspace(0.0, 1.0, GRID_U)
    top, bottom = _along(fold, u), _along(crease, u)
    v = np.linspace(0.15, 1.0, GRID_V)[:, None, None]
    grid = (top[None] * (1 - v) + bottom[None] * v).astype(np.float32)
    skin = cv2.remap(photo, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(np.concatenate([lower, under[::-1]])).astype(np.int32)], 1)
    below = photo[mask.astype(bool)]
    under_tone = below.mean(axis=0) if len(below) else skin.reshape(-1, 3).mean(axis=0)

    mask[:] = 0
    cv2.polylines(mask, [np.round(upper).astype(np.int32)], False, 1, 2)
    edge = photo[mask.astype(bool)]
    darkest = edge[edge.sum(axis=1) <= np.quantile(edge.sum(axis=1), 0.25)] if len(edge) else skin.reshape(-1, 3) * 0.3
    return EyeLid(skin=skin, under=under_tone.astype(np.float32), lash=darkest.mean(axis=0).astype(np.float32))


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def draw_closed_lid(frame: np.ndarray, lid: EyeLid, upper: np.ndarray, lower: np.ndarray,
                    crease: np.ndarray, blink: float) -> None:
    """Paint one eye's lid sheet (upper, lower: posed lid contours corner to corner, K x 2;
    crease: the posed crease ring)."""
    import cv2

    cover = float(_smooth(np.array((blink - COVER_FROM) / (COVER_FULL - COVER_FROM))))
    if cover <= 0.0:
        return
    # 1. the box and the eye's frame: x along the corners (0 outer .. 1 inner), y across, pixels
    height, width = frame.shape[:2]
    points = np.concatenate([upper, lower, crease])
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - 3
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 4
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return
    outer, inner = upper[0], upper[-1]
    span = inner - outer
    eye_width = max(float(np.linalg.norm(span)), 1.0)
    axis = span / eye_width
    across = np.array([-axis[1], axis[0]]) * (1.0 if axis[0] >= 0 else -1.0)  # image-down side
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    rel_x, rel_y = xs - outer[0], ys - outer[1]
    u = (rel_x * axis[0] + rel_y * axis[1]) / eye_width
    y = rel_x * across[0] + rel_y * across[1]

    def curve(line: np.ndarray) -> np.ndarray:
        rel = line - outer
        cu, cy = rel @ axis / eye_width, rel @ across
        order = np.argsort(cu)
        return np.interp(u, cu[order], cy[order]).astype(np.float32)

    # 2. the sheet runs from the crease to the lid edge; near the end it reaches the lower lid
    top, lid_edge, low = curve(crease), curve(upper), curve(lower)
    meet = float(_smooth(np.array((blink - MEET_FROM) / (1.0 - MEET_FROM))))
    edge = lid_edge + meet * np.maximum(low - lid_edge, 0.0) + 0.4 * meet
    w = (y - top) / np.maximum(edge - top, 1.0)

    # 3. skin: the brow skin stretched over the lid, toned toward the under-eye skin, shaded
    grid_x = np.clip(u, 0.0, 1.0) * (GRID_U - 1)
    grid_y = np.clip(w, 0.0, 1.0) * (GRID_V - 1)
    skin = cv2.remap(lid.skin, grid_x, grid_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    wc = np.clip(w, 0.0, 1.0)
    skin += (lid.under - skin) * (0.35 * wc)[..., None]
    uc = np.clip(u, 0.0, 1.0)
    bulge = 1.0 + 0.05 * np.sin(np.pi * uc) * np.sin(np.pi * wc)
    crease_shadow = 1.0 - 0.14 * cover * np.exp(-((w - 0.03) / 0.12) ** 2)
    margin = 1.0 - 0.12 * _smooth((w - 0.7) / 0.3)
    skin *= (bulge * crease_shadow * margin)[..., None]

    # 4. lashes: a thin dark line along the edge, thinner toward the corners
    taper = np.sqrt(np.clip(np.sin(np.pi * uc), 0.0, 1.0))
    thick = max(LASH_WIDTH * eye_width, 0.6) * (0.5 + 0.5 * taper)
    lash = np.exp(-((y - edge + 0.3) / thick) ** 2) * LASH_OPACITY * cover * (u > 0.0) * (u < 1.0)
    skin += (lid.lash - skin) * lash[..., None]

    # 5. blend: soft over the crease and at the corners, crisp just under the lash line
    sides = _smooth(u / 0.08) * _smooth((1.0 - u) / 0.08)
    alpha = cover * _smooth((w + 0.15) / 0.3) * sides * _smooth(edge - y + 1.0)
    alpha = np.maximum(alpha, lash)
    region = frame[y0:y1, x0:x1]
    region[:] = np.clip(region + (skin - region) * alpha[..., None] + 0.5, 0, 255).astype(np.uint8)
