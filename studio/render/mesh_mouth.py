"""The inside of an opening mouth: a shaded cavity, teeth on both lips, a tongue lying low.

A warp can only stretch the lips' own pixels across the gap, which reads as rubber, and flat
fills read as a cartoon. So the gap between the posed inner lip contours is painted in the
mouth's own frame (rest pixels along the face's right and down axes, so it scales and turns
with the head) and blended in under the lips with a soft edge and a lip shadow:
- the cavity darkens away from the lips toward the back of the mouth and into the corners;
- a portrait that shows its teeth keeps them: the photo's own teeth are re-sampled hanging from
  the posed upper lip (the upper teeth) and standing on the lower lip (the lower teeth, only
  once the mouth is open well past its rest gap); other portraits get drawn teeth: warm ivory
  in the photo's own white balance (its brightest near-whites: collar, shirt, wall) and the
  face's exposure, shaded toward the corners and the
  gums, narrowing as they turn away, with a bright biting edge on the upper row;
- the tongue is a rounded, shaded hump behind the lower teeth, in a darkened lip colour.
Everything photo-dependent is measured once per portrait (MouthModel); per frame the work is
confined to the opening's bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.analysis import landmarks as topo

# The interior fades in over this extra lip gap (fraction of the inner mouth width).
FADE_IN = 0.05
# Drawn teeth (portraits without visible teeth): visible height as a fraction of mouth width.
UPPER_TEETH = 0.15
TEETH_SPAN = 0.9
# Drawn teeth against the eyes' whites: this warm tint (white = 1, 1, 1) and this brightness.
IVORY_TINT = np.array([1.0, 0.96, 0.88])
TEETH_OVER_SKIN = 1.05
# The white point is the mean of this share of the photo's brightest pixels; the largest colour
# cast (per channel, relative) taken from it: more is a coloured object, not the light.
WHITE_SHARE, MAX_CAST = 0.03, 0.15
# Photo teeth: the top part of the rest opening hangs from the upper lip, the bottom part
# stands on the lower lip.
UPPER_SHARE, LOWER_SHARE = 0.78, 0.3
# Photo teeth partly hidden at rest are stretched toward this height (fraction of mouth width).
UPPER_TEETH_PHOTO, MAX_STRETCH = 0.17, 1.5
# Lower teeth show once the lips part by this much more than at rest (fraction of mouth width),
# up to LOWER_TEETH of the mouth width high, across LOWER_SPAN of its half width.
LOWER_FROM, LOWER_TEETH, LOWER_SPAN = 0.08, 0.06, 0.62
# Tongue: at most this fraction of the gap (and of the mouth width) high, across TONGUE_SPAN.
TONGUE_GAP, TONGUE_WIDTH, TONGUE_SPAN = 0.45, 0.2, 0.72
# Cavity: the lips' inner skin colour near the lips, near black at the back.
RIM_SHADE, BACK_SHADE = 0.6, 0.2
CAVITY_TINT = np.array([1.0, 0.62, 0.64], np.float32)


@dataclass
class MouthModel:
    """One portrait's mouth at rest, in its own frame (see the module docstring)."""

    origin: np.ndarray      # 2: the inner mouth corners' midpoint, output pixels
    axes: np.ndarray        # 2 x 2, columns: image displacement per rest pixel along right, down
    upper: np.ndarray       # K x 2 rest (along, down) of the upper inner lip
    lower: np.ndarray       # K x 2 rest (along, down) of the lower inner lip
    half_width: float       # half the inner mouth width, pixels
    rest_gap: float         # mean inner lip gap at rest, pixels
    lip: np.ndarray         # 3: mean lip colour
    teeth: np.ndarray       # 3: tooth colour for drawn teeth
    photo: np.ndarray | None        # h x w x 3 float32 crop of the photo around the mouth
    photo_teeth: np.ndarray | None  # h x w float32: how much each crop pixel is tooth
    photo_box: tuple[int, int]      # the crop's (x0, y0) in output pixels


@dataclass
class MouthShape:
    """One frame's mouth in output pixels."""

    opening: np.ndarray   # N x 2 closed polygon of the posed inner lip contours
    upper: np.ndarray     # K x 2 posed upper inner lip, corner to corner
    lower: np.ndarray     # K x 2 posed lower inner lip
    origin: np.ndarray    # 2: the rest mouth centre carried by the head's rigid motion
    axes: np.ndarray      # 2 x 2: the rest frame's axes carried by the head (scale included)
    extra_gap: float      # how much wider the lips part than at rest, pixels


def white_point(image: np.ndarray) -> np.ndarray:
    """3: the photo's white (white-patch estimate): the mean of its brightest unclipped pixels.

    Portraits nearly always hold something white or light grey (a collar, a shirt, a wall, the
    eyes) lit by the same light as the face; its colour is the light's cast.
    """
    pixels = image.reshape(-1, 3)[:: max(1, image.shape[0] * image.shape[1] // 40000)].astype(np.float32)
    pixels = pixels[pixels.max(axis=1) < 250]
    if len(pixels) < 16:
        return np.full(3, 200.0, np.float32)
    luma = pixels.mean(axis=1)
    return pixels[luma >= np.quantile(luma, 1.0 - WHITE_SHARE)].mean(axis=0)


def drawn_teeth_colour(white: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Warm ivory in the photo's white balance and exposure (see the module docstring)."""
    balance = np.clip(white / max(float(white.mean()), 1.0), 1.0 - MAX_CAST, 1.0 + MAX_CAST)
    # teeth in the mouth are lit like the face: a little lighter than the skin, never past the
    # photo's white
    level = min(_skin_level(skin) * TEETH_OVER_SKIN, float(white.mean()) * 1.05)
    return np.clip(IVORY_TINT * balance * level, 0.0, 250.0)


def _skin_level(skin: np.ndarray) -> float:
    """The skin's exposure: its brightest channel's mean (red on every skin tone), 0..255."""
    return float(skin.mean(axis=0).max()) if len(skin) else 165.0


def build_mouth_model(image: np.ndarray, landmarks: np.ndarray, face_axes: np.ndarray,
                      skin: np.ndarray) -> MouthModel:
    """Measure the mouth of a portrait (image H x W x 3 uint8, landmarks 478 x 3 pixels).

    face_axes: 3 x 3 columns right, down, away in image axes; skin: N x 3 cheek pixels.
    """
    import cv2

    upper_px = landmarks[list(topo.LIPS_UPPER_INNER), :2]
    lower_px = landmarks[list(topo.LIPS_LOWER_INNER), :2]
    origin = landmarks[list(topo.INNER_MOUTH_CORNERS), :2].mean(axis=0)
    axes = face_axes[:2, :2].copy()
    inverse = np.linalg.inv(axes)
    upper, lower = (upper_px - origin) @ inverse.T, (lower_px - origin) @ inverse.T
    half_width = max(float(np.abs(upper[[0, -1], 0]).mean()), 1.0)
    rest_gap = float(np.linalg.norm(upper_px - lower_px, axis=1).mean())

    # the lips' colour: between the outer and inner contours
    height, width = image.shape[:2]
    lips = np.zeros((height, width), np.uint8)
    for outer, inner in ((topo.LIPS_UPPER_OUTER, topo.LIPS_UPPER_INNER), (topo.LIPS_LOWER_OUTER, topo.LIPS_LOWER_INNER)):
        ring = np.concatenate([landmarks[list(outer), :2], landmarks[list(inner)[::-1], :2]])
        cv2.fillPoly(lips, [np.round(ring).astype(np.int32)], 1)
    lip_pixels = image[lips.astype(bool)].astype(np.float64)
    lip = lip_pixels.mean(axis=0) if len(lip_pixels) else skin.mean(axis=0)

    # the photo's teeth, if the mouth shows them at rest
    opening = np.zeros((height, width), np.uint8)
    cv2.fillPoly(opening, [np.round(np.concatenate([upper_px, lower_px[::-1][1:-1]])).astype(np.int32)], 1)
    inside = image[opening.astype(bool)].astype(np.float64)
    teeth = drawn_teeth_colour(white_point(image), skin)
    photo = photo_teeth = None
    x0 = y0 = 0
    if len(inside) >= 12:
        brightness = inside.sum(axis=1)
        bright = inside[brightness >= np.quantile(brightness, 0.7)].mean(axis=0)
        if bright.sum() > 0.9 * teeth.sum():
            teeth = np.clip(0.5 * bright + 0.5 * teeth, 0, 255)
            # tooth-ness: bright, unsaturated pixels inside the opening
            pad = 3
            lo = np.floor(np.concatenate([upper_px, lower_px]).min(axis=0)).astype(int) - pad
            hi = np.ceil(np.concatenate([upper_px, lower_px]).max(axis=0)).astype(int) + pad + 1
            x0, y0 = max(lo[0], 0), max(lo[1], 0)
            x1, y1 = min(hi[0], width), min(hi[1], height)
            photo = image[y0:y1, x0:x1].astype(np.float32)
            luma = photo.mean(axis=-1)
            chroma = photo.max(axis=-1) - photo.min(axis=-1)
            top = float(np.quantile(brightness / 3.0, 0.9))
            toothy = np.clip((luma - 0.55 * top) / (0.25 * top), 0.0, 1.0) * np.clip(1.6 - chroma / (0.45 * luma + 1.0), 0.0, 1.0)
            inner = cv2.GaussianBlur(opening[y0:y1, x0:x1].astype(np.float32), (3, 3), 0.6)
            photo_teeth = (toothy * inner).astype(np.float32)
    return MouthModel(origin=origin, axes=axes, upper=upper, lower=lower, half_width=half_width,
                      rest_gap=rest_gap, lip=lip, teeth=teeth, photo=photo, photo_teeth=photo_teeth,
                      photo_box=(x0, y0))


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def draw_mouth(frame: np.ndarray, mouth: MouthShape, model: MouthModel) -> None:
    """Paint the mouth interior into frame (H x W x 3 uint8) in place."""
    import cv2

    width_px = 2.0 * model.half_width
    fade = float(np.clip(mouth.extra_gap / max(FADE_IN * width_px * np.linalg.norm(mouth.axes[:, 0]), 1e-6), 0.0, 1.0))
    if fade <= 0.0:
        return
    # 1. the region: the opening plus a margin for the soft edge
    height, width = frame.shape[:2]
    x0, y0 = np.floor(mouth.opening.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(mouth.opening.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)

    # 2. every pixel in the rest mouth frame: a along the lips, d down, in rest pixels
    inverse = np.linalg.inv(mouth.axes).astype(np.float32)
    rel_x, rel_y = xs - mouth.origin[0], ys - mouth.origin[1]
    a = inverse[0, 0] * rel_x + inverse[0, 1] * rel_y
    d = inverse[1, 0] * rel_x + inverse[1, 1] * rel_y

    def curve(points: np.ndarray, at: np.ndarray) -> np.ndarray:
        order = np.argsort(points[:, 0])
        return np.interp(at, points[order, 0], points[order, 1]).astype(np.float32)

    upper_posed = (mouth.upper - mouth.origin) @ inverse.T
    lower_posed = (mouth.lower - mouth.origin) @ inverse.T
    top, bottom = curve(upper_posed, a), curve(lower_posed, a)
    gap = np.maximum(bottom - top, 1.0)
    t = a / model.half_width
    across = np.clip(1.0 - t * t, 0.0, 1.0)
    extra = float(np.clip(mouth.extra_gap / np.linalg.norm(mouth.axes[:, 1]), 0.0, None)) / width_px

    # 3. cavity: the lips' inner colour right under them, dark at the back and in the corners
    lip_distance = np.minimum(d - top, bottom - d)
    rim = np.exp(-np.clip(lip_distance, 0.0, None) / (0.1 * width_px + 0.5)) * (0.35 + 0.65 * np.sqrt(across))
    shade = (BACK_SHADE + (RIM_SHADE - BACK_SHADE) * rim) * (0.55 + 0.45 * np.sqrt(across))
    colour = (model.lip.astype(np.float32) * CAVITY_TINT) * shade[..., None]

    # 4. tongue: a rounded hump lying on the floor of the mouth, lit from the front
    tongue_h = np.minimum(TONGUE_GAP * gap, TONGUE_WIDTH * width_px) * np.sqrt(np.clip(1.0 - (t / TONGUE_SPAN) ** 2, 0.0, 1.0))
    tongue_top = bottom - tongue_h
    tongue = _smooth((d - tongue_top) / 1.5 + 0.5) * (tongue_h > 0.5)
    depth = np.clip((d - tongue_top) / (tongue_h + 1.0), 0.0, 1.0)
    groove = 1.0 - 0.12 * np.exp(-(t / 0.08) ** 2)
    tongue_shade = (0.5 + 0.4 * np.sqrt(depth)) * (1.0 - 0.35 * (t / TONGUE_SPAN) ** 2) * groove
    tongue_colour = (model.lip.astype(np.float32) * np.array([0.95, 0.78, 0.8], np.float32)) * tongue_shade[..., None]
    colour += (tongue_colour - colour) * tongue[..., None]

    # 5. teeth: lower ones standing on the lower lip, then upper ones hanging from the upper lip
    open_enough = float(np.clip((extra - LOWER_FROM) / LOWER_FROM, 0.0, 1.0))
    lower_h = LOWER_TEETH * width_px * open_enough * np.clip(1.0 - (t / LOWER_SPAN) ** 2, 0.0, 1.0)
    lower_cover = _smooth((d - (bottom - lower_h)) / 1.2 + 0.5) * (lower_h > 0.3)
    if model.photo is not None:
        rest_top, rest_bottom = curve(model.upper, a), curve(model.lower, a)
        rest_gap = np.maximum(rest_bottom - rest_top, 1.0)
        shown = UPPER_SHARE * float(np.max(model.lower[:, 1] - model.upper[:, 1]))
        stretch = float(np.clip(UPPER_TEETH_PHOTO * width_px / max(shown, 1.0), 1.0, MAX_STRETCH))
        up_d = rest_top + (d - top) / stretch
        low_d = rest_bottom - (bottom - d)
        up_rgb, up_alpha = _sample_photo(model, a, up_d)
        low_rgb, low_alpha = _sample_photo(model, a, low_d)
        up_alpha *= _smooth((rest_top + UPPER_SHARE * rest_gap - up_d) / 1.5 + 0.5)
        low_alpha *= _smooth((low_d - (rest_bottom - LOWER_SHARE * rest_gap)) / 1.5 + 0.5)
        lower_alpha = low_alpha * lower_cover
        colour += (low_rgb * 0.8 - colour) * lower_alpha[..., None]
        # the biting edge is thinner and greyer than the rest of the tooth
        edge = 1.0 - 0.12 * _smooth((up_d - rest_top - (UPPER_SHARE - 0.15) * rest_gap) / (0.15 * rest_gap + 1.0))
        colour += (up_rgb * edge[..., None] - colour) * up_alpha[..., None]
    else:
        # teeth turn away toward the corners: darker, and narrower (equal steps of the arch's
        # angle, not of the image width)
        recede = 1.0 - 0.45 * t * t
        colour += (model.teeth.astype(np.float32) * 0.72 * recede[..., None] - colour) * lower_cover[..., None]
        edge = top + UPPER_TEETH * width_px * np.clip(1.0 - 0.35 * t * t, 0.0, 1.0)
        cover = _smooth((edge - d) / 1.0 + 0.5) * np.clip((TEETH_SPAN - np.abs(t)) * model.half_width, 0.0, 1.0)
        along = np.arcsin(np.clip(t, -0.999, 0.999)) * (2.6 / np.pi * 2.0)
        seam = np.exp(-((along - np.round(along)) ** 2) / 0.006)
        # shade: the gums' shadow under the lip, light on the tooth's face, a bright biting edge
        height_px = np.maximum(edge - top, 1.0)
        down_tooth = np.clip((d - top) / height_px, 0.0, 1.0)
        body = (0.78 + 0.22 * np.sqrt(down_tooth)) * (1.0 - 0.22 * seam) * recede
        rim = 1.0 + 0.08 * np.exp(-((edge - d - 0.8) ** 2) / 0.8)
        colour += (model.teeth.astype(np.float32) * (body * rim)[..., None] - colour) * cover[..., None]

    # 6. blend under the lips: soft anti-aliased opening, the lips' shadow just inside it
    shift = 4
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    poly = np.round((mouth.opening - [x0, y0]) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(mask, [poly], 255, lineType=cv2.LINE_AA, shift=shift)
    alpha = cv2.GaussianBlur(mask, (3, 3), 0.8).astype(np.float32) * (fade / 255.0)
    shadow = cv2.GaussianBlur(mask, (0, 0), 1.6).astype(np.float32) / 255.0
    colour *= (0.7 + 0.3 * shadow)[..., None]
    region = frame[y0:y1, x0:x1]
    region[:] = np.clip(region + (colour - region) * alpha[..., None] + 0.5, 0, 255).astype(np.uint8)


def _sample_photo(model: MouthModel, a: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rest photo's colour and tooth-ness at rest-frame positions (a, d)."""
    import cv2

    x = model.origin[0] + model.axes[0, 0] * a + model.axes[0, 1] * d - model.photo_box[0]
    y = model.origin[1] + model.axes[1, 0] * a + model.axes[1, 1] * d - model.photo_box[1]
    x, y = x.astype(np.float32), y.astype(np.float32)
    rgb = cv2.remap(model.photo, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(model.photo_teeth, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return rgb, alpha
