"""Head pose and face measurements, checked on the real portrait's landmarks.

The mesh renderer's tests trust these measurements, so they are validated here first: exact
recovery of known synthetic rotations of the real 3D landmarks, and the project's sign
conventions on real re-detected images (mirrored, rotated).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from studio.analysis.pose import (
    RIGHT_IRIS,
    absolute_pose,
    angles_from_matrix,
    detect_landmarks,
    eye_openness,
    iris_offset,
    mouth_openness,
    relative_pose,
    rotation_matrix,
)

NOSE_TIP, FOREHEAD = 1, 10


@pytest.fixture(scope="module")
def image(portrait_path) -> np.ndarray:
    return np.asarray(Image.open(portrait_path).convert("RGB"))


@pytest.fixture(scope="module")
def landmarks(image) -> np.ndarray:
    found = detect_landmarks(image)
    assert found is not None
    return found


def rotate_about_centre(points: np.ndarray, yaw: float, pitch: float, roll: float) -> np.ndarray:
    centre = points.mean(axis=0)
    return (points - centre) @ rotation_matrix(yaw, pitch, roll).T + centre


def test_detected_landmarks_are_pixels_with_depth_in_pixel_units(image, landmarks):
    assert landmarks.shape == (478, 3)
    assert landmarks.dtype == np.float32
    height, width = image.shape[:2]
    assert (landmarks[:, 0] > 0).all() and (landmarks[:, 0] < width).all()
    assert (landmarks[:, 1] > 0).all() and (landmarks[:, 1] < height).all()
    # The nose tip is the point nearest the camera (most negative z), and the depth from the
    # nose tip to the cheek sides is comparable to the half-width of the face, as on a real head.
    assert landmarks[:, 2].argmin() in (1, 4, 5, 19, 94, 195)
    half_width = np.ptp(landmarks[:468, 0]) / 2
    depth = landmarks[[234, 454], 2].mean() - landmarks[NOSE_TIP, 2]
    assert 0.8 * half_width < depth < 2.0 * half_width


def test_no_face_gives_none():
    from skimage import data

    assert detect_landmarks(data.coffee()) is None


@pytest.mark.parametrize(
    "angles", [(10, 0, 0), (0, 10, 0), (0, 0, 10), (-20, 0, 0), (15, -8, 5), (-20, 12, -7), (0, 20, 20)]
)
def test_known_rotations_of_real_landmarks_are_recovered(landmarks, angles):
    rng = np.random.default_rng(0)
    moved = rotate_about_centre(landmarks.astype(np.float64), *angles)
    # A move toward the camera (scale), a shift and half a pixel of detection noise must not
    # leak into the angles.
    moved = (moved - moved.mean(axis=0)) * 1.15 + moved.mean(axis=0) + np.array([12.0, -7.0, 3.0])
    moved += rng.normal(0.0, 0.5, moved.shape)
    measured = relative_pose(landmarks, moved)
    np.testing.assert_allclose(measured, angles, atol=0.5)


def test_expression_landmarks_do_not_read_as_head_motion(landmarks):
    talking = landmarks.astype(np.float64).copy()
    lower_lip_and_chin = [14, 17, 18, 87, 317, 152, 175, 199, 200, 377, 148]
    talking[lower_lip_and_chin, 1] += 15.0  # jaw wide open
    talking[[159, 145, 386, 374], 1] = talking[[145, 145, 374, 374], 1]  # eyes shut
    assert np.abs(relative_pose(landmarks, talking)).max() < 0.01


@pytest.mark.parametrize(
    ("angles", "axis", "direction"),
    [
        ((10, 0, 0), 0, +1),  # yaw > 0: the nose moves right in the image
        ((0, 10, 0), 1, -1),  # pitch > 0: chin up, the nose moves up
    ],
)
def test_sign_conventions_move_the_nose(landmarks, angles, axis, direction):
    moved = rotate_about_centre(landmarks.astype(np.float64), *angles)
    shift = (moved[NOSE_TIP] - moved.mean(axis=0)) - (landmarks[NOSE_TIP] - landmarks.mean(axis=0))
    assert direction * shift[axis] > 2.0


def test_positive_roll_is_clockwise_in_the_image(landmarks):
    moved = rotate_about_centre(landmarks.astype(np.float64), 0, 0, 10)
    # Clockwise on screen (y down): the top of the head moves to the viewer's right.
    assert moved[FOREHEAD, 0] - landmarks[FOREHEAD, 0] > 2.0
    # And it is exactly a rotation of the picture: z is untouched.
    np.testing.assert_allclose(moved[:, 2], landmarks[:, 2], atol=1e-3)


def test_image_rotated_clockwise_measures_positive_roll(image, landmarks):
    height, width = image.shape[:2]
    # OpenCV's positive angle is counter-clockwise on screen, so -10 turns the picture clockwise.
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -10, 1.0)
    rotated = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    found = detect_landmarks(rotated)
    assert found is not None
    yaw, pitch, roll = relative_pose(landmarks, found)
    assert roll == pytest.approx(10.0, abs=1.5)
    assert abs(yaw) < 2.0 and abs(pitch) < 2.0
    assert absolute_pose(found)[2] - absolute_pose(landmarks)[2] == pytest.approx(10.0, abs=1.5)


def test_mirrored_portrait_flips_yaw_and_roll(image, landmarks):
    mirrored = detect_landmarks(np.ascontiguousarray(image[:, ::-1]))
    assert mirrored is not None
    yaw, pitch, roll = absolute_pose(landmarks)
    m_yaw, m_pitch, m_roll = absolute_pose(mirrored)
    assert m_yaw == pytest.approx(-yaw, abs=1.0)
    assert m_roll == pytest.approx(-roll, abs=1.0)
    assert m_pitch == pytest.approx(pitch, abs=1.0)
    # This portrait leans a few degrees; the mirror must lean the other way.
    assert abs(roll) > 1.5 and np.sign(m_roll) == -np.sign(roll)


def test_absolute_pose_follows_a_synthetic_turn(landmarks):
    base = absolute_pose(landmarks)
    turned = absolute_pose(rotate_about_centre(landmarks.astype(np.float64), 15, 0, 0))
    assert turned[0] - base[0] == pytest.approx(15.0, abs=1.5)
    # The face's own axes turn with the head: composing the turn with the portrait's pose
    # gives the measured pose of the turned face.
    expected = angles_from_matrix(rotation_matrix(15, 0, 0) @ rotation_matrix(*base))
    np.testing.assert_allclose(turned, expected, atol=1e-6)


def test_open_eyes_and_a_closed_synthetic_blink(landmarks):
    left, right = eye_openness(landmarks)
    assert 0.2 < left < 0.5 and 0.2 < right < 0.5
    closed = landmarks.copy()
    # Lower the subject's left upper lid onto the lower lid: only "left" closes.
    for upper, lower in ((386, 374), (385, 380), (387, 373)):
        closed[upper] = closed[lower]
    c_left, c_right = eye_openness(closed)
    assert c_left < 0.02
    assert c_right == pytest.approx(right)


def test_mouth_openness_grows_with_lip_gap(landmarks):
    base = mouth_openness(landmarks)
    opened = landmarks.copy()
    opened[[14, 87, 317], 1] += 10.0
    assert mouth_openness(opened) > base + 0.08


def test_iris_offset_directions(landmarks):
    x, y = iris_offset(landmarks)
    assert abs(x) < 0.1 and abs(y) < 0.15  # looking at the camera
    moved = landmarks.copy()
    moved[RIGHT_IRIS:, 0] += 3.0
    moved[RIGHT_IRIS:, 1] -= 3.0  # irises move right and up in the image
    mx, my = iris_offset(moved)
    assert mx > x + 0.05 and my > y + 0.05
