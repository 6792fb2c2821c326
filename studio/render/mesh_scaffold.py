"""Points beyond the face mesh, so the whole picture moves with the head, not a pasted mask.

Three layers, as puppet tools cut a portrait: the head layer (face, hair, ears, and whatever
the person mask holds on the head: a hat, glasses) rides rigidly with the skull, so a cap's
badge or a brim is carried whole, never bent or doubled; the torso layer (shoulders, collar,
the picture's border) stays put; the neck between them bends in a blend zone below the chin.
Where the head layer's rigid region ends the weight falls off through background, which the
renderer draws from the clean plate, so the bend there is never seen.

Each scaffold point carries a follow weight (1 = moves rigidly with the head) and a depth: next
to the face it takes the depth of the nearest face-outline landmark, farther out it settles at
the depth of the face's sides (about the ears), which is where hair and the skull's outline are
for a roughly frontal photo. The weights are smooth, so the picture bends without creases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.analysis import landmarks as topo

# Spacing of scaffold points in face widths: fine enough for a smooth falloff, coarse enough
# that the triangulation stays small.
SPACING = 0.22
# Head outline in face widths (sideways) and face heights (upwards) from the face centre.
HEAD_HALF_WIDTH, HEAD_HALF_HEIGHT = 0.8, 0.95
# Follow weight falls from 1 to 0 between these multiples of the head outline.
FALLOFF = (1.05, 1.6)
# Below the chin the neck follows, fading over this many face heights, and narrows to
# this half width so the shoulders stay.
NECK_FADE, NECK_HALF_WIDTH = 0.45, 0.34
# The jaw line rises this much (face heights) from the chin to below the ears: the head layer
# ends above it, so a collar or a helmet ring at the jaw's height beside the neck is torso.
JAW_RISE = 0.3
# The head turns about a point this far (face widths) behind the face sides, near the neck.
PIVOT_BEHIND = 0.1
# The head layer: person-mask pixels above this line (face heights above the jaw line) and within
# this half width (face widths) move rigidly; the weight falls to zero over HEAD_FADE face
# widths of background around them.
HEAD_LINE, HEAD_MASK_HALF_WIDTH, HEAD_FADE = 0.12, 1.1, (0.04, 0.3)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass
class HeadModel:
    """The rigid part of head motion: where it pivots, its size, and the scaffold."""

    pivot: np.ndarray        # 3, image pixels (x, y, z)
    face_width: float        # pixels, cheek edge to cheek edge
    points: np.ndarray       # M x 3 scaffold points, image pixels
    follow: np.ndarray       # M, 0..1: how much of the head's motion each point takes


def build_head_model(landmarks: np.ndarray, extent: tuple[int, int],
                     person: np.ndarray | None = None) -> HeadModel:
    """Scaffold and pivot for a face (478 x 3 landmarks, pixel-centre coordinates).

    extent is the (width, height) the scaffold must cover, border included; person (H x W,
    0..1) is the person mask on the same pixels, whose part on the head moves rigidly.
    """
    import cv2

    lm = np.asarray(landmarks, dtype=np.float64)
    oval = lm[list(topo.FACE_OVAL)]
    centre = oval[:, :2].mean(axis=0)
    face_width = float(np.linalg.norm(lm[topo.FACE_SIDES[0], :2] - lm[topo.FACE_SIDES[1], :2]))
    down = lm[topo.CHIN, :2] - lm[topo.FOREHEAD, :2]
    face_height = float(np.linalg.norm(down))
    down /= face_height
    right = np.array([-down[1], down[0]])
    side_depth = float(lm[list(topo.FACE_SIDES), 2].mean())

    # 1. a regular lattice over the frame, border included, minus the inside of the face
    width, height = extent
    step = max(SPACING * face_width, 4.0)
    xs = np.linspace(-0.5, width - 0.5, max(int(np.ceil(width / step)), 1) + 1)
    ys = np.linspace(-0.5, height - 0.5, max(int(np.ceil(height / step)), 1) + 1)
    lattice = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    outline = oval[:, :2].astype(np.float32)
    distance = np.array([cv2.pointPolygonTest(outline, (float(x), float(y)), True) for x, y in lattice])
    on_border = (lattice[:, 0] <= xs[0]) | (lattice[:, 0] >= xs[-1]) | (lattice[:, 1] <= ys[0]) | (lattice[:, 1] >= ys[-1])
    keep = on_border | (distance < -0.6 * step)
    points2d = lattice[keep]

    # 2. follow weights: the head outline, then the neck below the chin
    rel = points2d - centre
    u = rel @ right / face_width
    v = rel @ down / face_height
    chin_v = float((lm[topo.CHIN, :2] - centre) @ down / face_height)
    half_width = HEAD_HALF_WIDTH + (NECK_HALF_WIDTH - HEAD_HALF_WIDTH) * _smoothstep(chin_v - 0.1, chin_v + 0.2, v)
    radius = np.sqrt((u / half_width) ** 2 + (np.minimum(v, 0.0) / HEAD_HALF_HEIGHT) ** 2)
    follow = 1.0 - _smoothstep(FALLOFF[0], FALLOFF[1], radius)
    follow[on_border[keep]] = 0.0
    if person is not None:
        # a hat cut by the picture's edge moves with the head there too: the border itself
        # moves where the head layer reaches it
        follow = np.maximum(follow, _head_layer(person, points2d, centre, right, down, face_width, face_height, chin_v))
    follow *= 1.0 - _smoothstep(chin_v, chin_v + NECK_FADE, v)

    # 3. depth: the nearest outline landmark's, settling to the face sides' farther out
    gaps = np.linalg.norm(points2d[:, None, :] - oval[None, :, :2], axis=-1)
    nearest = oval[gaps.argmin(axis=1), 2]
    blend = _smoothstep(0.0, 0.35, gaps.min(axis=1) / face_width)
    depth = nearest + (side_depth - nearest) * blend

    pivot = np.array([*(centre + down * 0.15 * face_height), side_depth + PIVOT_BEHIND * face_width])
    points = np.column_stack([points2d, depth])
    return HeadModel(pivot=pivot, face_width=face_width, points=points, follow=follow)


def _jaw_line(u: np.ndarray, chin_v: float) -> np.ndarray:
    """v of the jaw line (face heights from the face centre) at u (face widths across): the
    chin in the middle, rising toward the ears."""
    return chin_v - JAW_RISE * _smoothstep(0.0, 0.5, np.abs(u))


def _head_layer(person, points2d, centre, right, down, face_width, face_height, chin_v) -> np.ndarray:
    """Follow weights of the head layer: 1 on the person mask's head part, falling off around it."""
    import cv2

    height, width = person.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = ((xs - centre[0]) * right[0] + (ys - centre[1]) * right[1]) / face_width
    v = ((xs - centre[0]) * down[0] + (ys - centre[1]) * down[1]) / face_height
    head = (person > 0.5) & (v < _jaw_line(u, chin_v) - HEAD_LINE) & (np.abs(u) < HEAD_MASK_HALF_WIDTH)
    distance = cv2.distanceTransform((~head).astype(np.uint8), cv2.DIST_L2, 3)
    x = np.clip(np.round(points2d[:, 0]).astype(int), 0, width - 1)
    y = np.clip(np.round(points2d[:, 1]).astype(int), 0, height - 1)
    return 1.0 - _smoothstep(HEAD_FADE[0], HEAD_FADE[1], distance[y, x] / face_width)


def limit_depth_slope(points: np.ndarray, slope: float) -> np.ndarray:
    """Depths (z) of N x 3 points brought forward where they fall away faster than `slope`.

    A 2D warp cannot hide what turns away: where depth drops steeply (the face's outline, the
    underside of the chin) a turn would fold the picture over itself. The largest depth map
    below the original whose slope is at most `slope` (the lower envelope of cones) keeps every
    point's own depth where the surface is gentle and turns the cliffs into slopes, so a turn
    of up to arctan(1 / slope) compresses the far side without folding it.
    """
    xy = points[:, :2]
    z = points[:, 2]
    distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))
    return np.min(z[None, :] + slope * distance, axis=1)
