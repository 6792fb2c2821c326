"""Decoding the pictures users actually drop: rotated, gray, transparent, 16-bit, huge, broken."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from studio.analysis.image_io import MAX_SIDE, load_image
from studio.doc.errors import InputError


@pytest.fixture(scope="module")
def original(portrait_path) -> np.ndarray:
    return np.asarray(Image.open(portrait_path).convert("RGB"))


def mean_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_plain_jpeg(portrait_path, original):
    rgb, alpha = load_image(portrait_path)
    assert rgb.dtype == np.uint8 and rgb.shape == (512, 512, 3)
    assert alpha is None
    np.testing.assert_array_equal(rgb, original)


@pytest.mark.parametrize(("orientation", "turns"), [(6, 1), (8, -1), (3, 2)])
def test_exif_orientation_is_applied(tmp_path, original, orientation, turns):
    # A camera stores the sensor's pixels plus a tag saying how to turn them upright.
    # Not square, so a missed turn shows in the shape too.
    upright = np.ascontiguousarray(original[:, 56:456])
    stored = np.ascontiguousarray(np.rot90(upright, turns))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    rgb, _ = load_image(path)
    assert rgb.shape == upright.shape
    assert mean_error(rgb, upright) < 3.0


def test_grayscale_becomes_three_equal_channels(tmp_path, original):
    path = tmp_path / "gray.png"
    Image.fromarray(original).convert("L").save(path)
    rgb, alpha = load_image(path)
    assert rgb.shape == (512, 512, 3) and alpha is None
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 1])
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])


def test_alpha_is_kept_and_composited_on_white(tmp_path, original):
    alpha = np.full(original.shape[:2], 255, np.uint8)
    alpha[:, 400:] = 0
    alpha[:, 380:400] = 128
    path = tmp_path / "cutout.png"
    Image.fromarray(np.dstack([original, alpha])).save(path)
    rgb, loaded_alpha = load_image(path)
    np.testing.assert_array_equal(loaded_alpha, alpha)
    assert (rgb[:, 400:] == 255).all()
    np.testing.assert_array_equal(rgb[:, :380], original[:, :380])
    half = rgb[:, 380:400].astype(int)
    expected = (original[:, 380:400].astype(int) * 128 + 255 * 127) / 255
    assert np.abs(half - expected).max() <= 1


def test_opaque_alpha_is_dropped(tmp_path, original):
    path = tmp_path / "opaque.png"
    Image.fromarray(original).convert("RGBA").save(path)
    rgb, alpha = load_image(path)
    assert alpha is None
    np.testing.assert_array_equal(rgb, original)


def test_sixteen_bit_gray_and_color(tmp_path, original):
    gray = np.asarray(Image.fromarray(original).convert("L"))
    path16 = tmp_path / "gray16.png"
    Image.fromarray(gray.astype(np.uint16) * 257).save(path16)
    assert Image.open(path16).mode.startswith("I")
    rgb, _ = load_image(path16)
    np.testing.assert_array_equal(rgb[..., 0], gray)

    path48 = tmp_path / "rgb48.png"
    cv2.imwrite(str(path48), original[..., ::-1].astype(np.uint16) * 257)
    rgb, _ = load_image(path48)
    np.testing.assert_array_equal(rgb, original)


def test_palette_and_cmyk(tmp_path, original):
    palette = tmp_path / "palette.png"
    Image.fromarray(original).quantize(64).save(palette)
    rgb, alpha = load_image(palette)
    assert rgb.shape == (512, 512, 3) and alpha is None
    assert mean_error(rgb, original) < 12.0

    cmyk = tmp_path / "print.jpg"
    Image.fromarray(original).convert("CMYK").save(cmyk, quality=95)
    rgb, _ = load_image(cmyk)
    assert rgb.shape == (512, 512, 3)
    assert mean_error(rgb, original) < 6.0


def test_very_large_image_is_downscaled(tmp_path, original):
    path = tmp_path / "huge.jpg"
    Image.fromarray(original).resize((5000, 3000), Image.BICUBIC).save(path, quality=90)
    rgb, _ = load_image(path)
    assert max(rgb.shape[:2]) == MAX_SIDE
    assert rgb.shape[:2] == (round(3000 * MAX_SIDE / 5000), MAX_SIDE)
    small = cv2.resize(rgb, (512, 512), interpolation=cv2.INTER_AREA)
    assert mean_error(small, original) < 6.0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cat.txt", b"a cat, not a picture", "cannot read portrait cat.txt: not an image file (use a JPEG or PNG photo)"),
        ("empty.jpg", b"", "cannot read portrait empty.jpg: the file is empty"),
    ],
)
def test_unreadable_files_are_refused_clearly(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_image(path)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_truncated_and_missing_files(tmp_path, portrait_path):
    data = portrait_path.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"^cannot read portrait cut\.jpg: the file is damaged or truncated"):
        load_image(cut)
    with pytest.raises(InputError, match=r"^cannot read portrait gone\.png: file not found"):
        load_image(tmp_path / "gone.png")
