"""Decode whatever picture a user drops into one predictable form: upright 8-bit RGB.

Phones store rotation in EXIF, scanners write 16-bit or grayscale files, cut-outs carry alpha,
print workflows use CMYK, and cameras make 50-megapixel images. Analysis and rendering only ever
see an upright RGB uint8 array of a sane size; transparency is kept aside for export.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.doc.errors import InputError

# Long side of the working image: larger photos cost time and memory without adding detail the
# renderer can use (output is at most 1024 pixels).
MAX_SIDE = 2048
# Transparent parts of a cut-out are shown on white, as image viewers do.
MATTE = 255


def load_image(path: str | Path, *, max_side: int = MAX_SIDE) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a portrait as (H x W x 3 uint8 RGB with alpha composited on white, H x W uint8 alpha
    or None when the file has no transparency)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(f"cannot read portrait {name}: file not found ({path})")
    if path.stat().st_size == 0:
        raise InputError(f"cannot read portrait {name}: the file is empty (use a JPEG or PNG photo)")
    try:
        with Image.open(path) as img:
            # JPEG can decode straight at 1/2, 1/4 or 1/8 size: much faster for huge photos.
            img.draft("RGB", (max_side, max_side))
            img = ImageOps.exif_transpose(img)
            img.load()
    except UnidentifiedImageError:
        raise InputError(
            f"cannot read portrait {name}: not an image file (use a JPEG or PNG photo)"
        ) from None
    except Image.DecompressionBombError:
        raise InputError(
            f"cannot read portrait {name}: the image is too large to open safely "
            "(resize it below 100 megapixels)"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"cannot read portrait {name}: the file is damaged or truncated ({exc})"
        ) from None
    if img.width == 0 or img.height == 0:
        raise InputError(f"cannot read portrait {name}: the image has no pixels")

    rgb, alpha = _to_rgb_alpha(img)
    rgb, alpha = _limit_size(rgb, alpha, max_side)
    if alpha is not None:
        a = alpha[..., None].astype(np.float32) / 255.0
        rgb = np.rint(rgb * a + MATTE * (1.0 - a)).astype(np.uint8)
    return np.ascontiguousarray(rgb), alpha


def _to_rgb_alpha(img) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode -> (RGB uint8, alpha uint8 or None); alpha that is all opaque is dropped."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray = _high_depth_to_uint8(np.asarray(img), mode)
        return np.repeat(gray[..., None], 3, axis=2), None
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in img.info
    )
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"))
        alpha = rgba[..., 3].copy()
        if alpha.min() == 255:
            alpha = None
        return rgba[..., :3].copy(), alpha
    return np.asarray(img.convert("RGB")).copy(), None


def _high_depth_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """16-bit and 32-bit grayscale to 8 bits. 16-bit files span 0..65535; float files are taken
    as 0..1 when they fit in it."""
    v = values.astype(np.float64)
    if mode == "F":
        top = 1.0 if v.max(initial=0.0) <= 1.0 else 255.0
    elif mode == "I" and v.max(initial=0.0) <= 255:
        top = 255.0
    else:
        top = 65535.0
    return np.clip(np.rint(v * (255.0 / top)), 0, 255).astype(np.uint8)


def _limit_size(
    rgb: np.ndarray, alpha: np.ndarray | None, max_side: int
) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return rgb, alpha
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if alpha is not None:
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return rgb, alpha
