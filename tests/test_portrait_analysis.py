"""Portrait -> FaceRig on the real portrait and on variants made from it at test time."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from studio.analysis import cache, portrait
from studio.analysis.face_rig import FaceRig
from studio.analysis.pose import detect_landmarks
from studio.analysis.portrait import MIN_FACE_WIDTH, analyze_portrait, faces_notice
from studio.doc.errors import InputError

EYE_CORNERS, NOSE_TIP = [33, 133, 362, 263], 1


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("analysis-cache")


@pytest.fixture(scope="module")
def rig(portrait_path, cache_dir) -> FaceRig:
    return analyze_portrait(portrait_path, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def original(portrait_path) -> np.ndarray:
    return np.asarray(Image.open(portrait_path).convert("RGB"))


def save(path, pixels) -> str:
    Image.fromarray(pixels).save(path)
    return path


def test_rig_of_the_sample_portrait(rig, original, portrait_path):
    assert rig.size == (512, 512)
    np.testing.assert_array_equal(rig.image, original)
    assert rig.landmarks.shape == (478, 3) and rig.landmarks.dtype == np.float32
    assert rig.faces_found == 1 and faces_notice(rig) is None
    assert rig.alpha is None
    assert rig.source == str(portrait_path)
    x0, y0, x1, y1 = rig.face_box
    assert MIN_FACE_WIDTH <= x1 - x0 < 200 and 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    assert (rig.landmarks[:, 0] >= x0 - 1).all() and (rig.landmarks[:, 0] <= x1 + 1).all()
    # A near-frontal, upright face.
    yaw, pitch, roll = rig.pose
    assert abs(yaw) < 10 and abs(pitch) < 20 and abs(roll) < 10
    assert len(rig.image_hash) == 40


def test_mask_covers_the_face_hair_and_body_not_the_background(rig):
    mask = rig.mask
    assert mask.shape == (512, 512) and mask.dtype == np.float32
    assert 0.0 <= mask.min() and mask.max() <= 1.0
    # Every landmark is inside the person.
    xs, ys = np.round(rig.landmarks[:, :2]).astype(int).T
    assert mask[ys, xs].min() > 0.95
    # Hair above the forehead and the shoulders below the face are in; the flag (left edge)
    # and the wall above the rocket model (top right) are out.
    x0, y0, x1, y1 = rig.face_box
    cx = (x0 + x1) // 2
    assert mask[max(0, y0 - 15), cx] > 0.9
    assert mask[min(511, y1 + 120), cx] > 0.9
    assert mask[100:200, 0:30].mean() < 0.1
    assert mask[0:60, 440:512].mean() < 0.1
    assert 0.2 < mask.mean() < 0.8
    # It is soft: some pixels at the border are neither in nor out.
    assert ((mask > 0.1) & (mask < 0.9)).sum() > 500


def test_clean_plate_removes_the_person_and_keeps_the_background(rig):
    plate, image = rig.clean_plate, rig.image
    assert plate.shape == image.shape and plate.dtype == np.uint8
    background = rig.mask < 0.01
    far = cv2.erode(background.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    np.testing.assert_array_equal(plate[far], image[far])
    # Where the face was, the plate looks like the background around it, not like skin.
    x0, y0, x1, y1 = rig.face_box
    face_change = np.abs(plate[y0:y1, x0:x1].astype(int) - image[y0:y1, x0:x1].astype(int)).mean()
    assert face_change > 20
    face_in_plate = plate[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
    wall = image[0:60, 300:360].reshape(-1, 3).mean(axis=0)
    skin = image[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
    assert np.linalg.norm(face_in_plate - wall) < np.linalg.norm(face_in_plate - skin)


def test_cache_hit_returns_the_same_rig_without_analysis(rig, portrait_path, cache_dir, monkeypatch):
    entry = cache.entry_path(cache_dir, rig.image_hash)
    assert entry.is_file()

    def no_analysis(rgb):
        raise AssertionError("the cached analysis was not used")

    monkeypatch.setattr(portrait, "find_faces", no_analysis)
    again = analyze_portrait(portrait_path, cache_dir=cache_dir)
    np.testing.assert_array_equal(again.landmarks, rig.landmarks)
    np.testing.assert_array_equal(again.mask, rig.mask)
    np.testing.assert_array_equal(again.clean_plate, rig.clean_plate)
    assert (again.pose, again.face_box, again.faces_found) == (rig.pose, rig.face_box, rig.faces_found)
    assert again.image_hash == rig.image_hash


def test_same_pixels_under_another_name_share_the_cache(rig, original, tmp_path, cache_dir, monkeypatch):
    copy = save(tmp_path / "copy.png", original)
    monkeypatch.setattr(portrait, "find_faces", lambda rgb: pytest.fail("analysed again"))
    again = analyze_portrait(copy, cache_dir=cache_dir)
    assert again.image_hash == rig.image_hash
    assert again.source == str(copy)


def test_corrupt_cache_entry_is_ignored_and_rewritten(rig, portrait_path, tmp_path):
    directory = tmp_path / "cache"
    entry = cache.entry_path(directory, rig.image_hash)
    entry.parent.mkdir()
    entry.write_bytes(b"PK\x03\x04 half a zip file")
    fresh = analyze_portrait(portrait_path, cache_dir=directory)
    np.testing.assert_allclose(fresh.landmarks, rig.landmarks, atol=1e-3)
    assert cache.load_entry(directory, rig.image_hash) is not None
    assert not list(directory.glob("*.tmp"))


def test_cache_entry_for_other_pixels_is_not_trusted(rig, portrait_path, tmp_path):
    # An entry whose arrays do not fit the image (a hash collision, a hand-copied file) is
    # recomputed rather than handed to the renderer.
    directory = tmp_path / "cache"
    cache.save_entry(directory, rig.image_hash, {"landmarks": np.zeros((478, 3)), "mask": np.zeros((8, 8))})
    fresh = analyze_portrait(portrait_path, cache_dir=directory)
    np.testing.assert_allclose(fresh.landmarks, rig.landmarks, atol=1e-3)
    assert cache.load_entry(directory, rig.image_hash)["mask"].shape == (512, 512)


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path))
    assert cache.default_cache_dir() == tmp_path / "analysis"


def test_two_faces_animate_the_largest(original, tmp_path, cache_dir):
    group = np.full((512, 900, 3), 128, np.uint8)
    group[:, :512] = original
    group[100:420, 560:880] = cv2.resize(original, (320, 320), interpolation=cv2.INTER_AREA)
    found = analyze_portrait(save(tmp_path / "group.png", group), cache_dir=cache_dir)
    assert found.faces_found == 2
    assert faces_notice(found) == "found 2 faces in group.png; animating the largest"
    assert found.landmarks[:, 0].max() < 512  # the full-size face on the left
    assert found.face_box[2] - found.face_box[0] > 70


def test_face_cropped_by_the_frame_is_found(original, rig, tmp_path, cache_dir):
    # A close-up cut inside the face outline (forehead, chin and cheeks off the edges): FaceMesh
    # alone sees no face here; the padded retry finds it.
    x0, y0, x1, y1 = rig.face_box
    m = 15
    close = cv2.resize(original[y0 + m : y1 - m, x0 + m : x1 - m], None, fx=4, fy=4)
    assert detect_landmarks(close) is None
    found = analyze_portrait(save(tmp_path / "closeup.png", close), cache_dir=cache_dir)
    assert found.faces_found == 1
    expected = (rig.landmarks[EYE_CORNERS, :2] - [x0 + m, y0 + m]) * 4
    assert np.abs(found.landmarks[EYE_CORNERS, :2] - expected).max() < 0.05 * close.shape[1]
    assert found.face_box == (0, 0, close.shape[1], close.shape[0])


def test_small_face_in_a_big_photo_is_found(original, rig, tmp_path, cache_dir):
    canvas = np.full((1600, 1600, 3), 200, np.uint8)
    canvas[1100:1600, 1100:1600] = cv2.resize(original, (500, 500), interpolation=cv2.INTER_AREA)
    found = analyze_portrait(save(tmp_path / "wide.png", canvas), cache_dir=cache_dir)
    nose = found.landmarks[NOSE_TIP, :2]
    np.testing.assert_allclose(nose, rig.landmarks[NOSE_TIP, :2] * 500 / 512 + 1100, atol=6)


def test_rotated_upscaled_transparent_variants_analyse(original, rig, tmp_path, cache_dir):
    # A huge phone photo stored sideways with an EXIF tag, with transparency removed by JPEG.
    big = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(original))).resize((3000, 3000), Image.BICUBIC).save(
        big, quality=90, exif=exif
    )
    found = analyze_portrait(big, cache_dir=cache_dir)
    assert found.size == (2048, 2048)
    scale = 2048 / 512
    np.testing.assert_allclose(found.landmarks[EYE_CORNERS, :2] / scale, rig.landmarks[EYE_CORNERS, :2], atol=3)

    # A cut-out whose right side is transparent: the mask never covers transparent pixels.
    alpha = np.full((512, 512), 255, np.uint8)
    alpha[:, 420:] = 0
    cutout = analyze_portrait(save(tmp_path / "cutout.png", np.dstack([original, alpha])), cache_dir=cache_dir)
    assert cutout.alpha is not None
    assert cutout.mask[:, 420:].max() == 0.0
    np.testing.assert_allclose(cutout.landmarks[EYE_CORNERS, :2], rig.landmarks[EYE_CORNERS, :2], atol=3)


def test_grayscale_portrait_analyses(original, rig, tmp_path, cache_dir):
    gray = np.asarray(Image.fromarray(original).convert("L"))
    found = analyze_portrait(save(tmp_path / "gray.png", gray), cache_dir=cache_dir)
    np.testing.assert_allclose(found.landmarks[EYE_CORNERS, :2], rig.landmarks[EYE_CORNERS, :2], atol=3)


def test_no_face_is_refused(tmp_path, cache_dir):
    from skimage import data

    path = save(tmp_path / "cat.jpg", data.coffee())
    with pytest.raises(InputError) as info:
        analyze_portrait(path, cache_dir=cache_dir)
    assert str(info.value) == "no face found in cat.jpg: use a photo with one clearly visible face"


def test_tiny_face_is_refused_with_advice(original, tmp_path, cache_dir):
    small = cv2.resize(original, (256, 256), interpolation=cv2.INTER_AREA)
    with pytest.raises(InputError) as info:
        analyze_portrait(save(tmp_path / "thumb.png", small), cache_dir=cache_dir)
    message = str(info.value)
    assert message.startswith("the face in thumb.png is too small to animate")
    assert "crop the photo closer" in message and "\n" not in message


def test_not_an_image_is_refused(tmp_path, cache_dir):
    path = tmp_path / "cat.txt"
    path.write_text("meow")
    with pytest.raises(InputError, match=r"^cannot read portrait cat\.txt: not an image file"):
        analyze_portrait(path, cache_dir=cache_dir)
