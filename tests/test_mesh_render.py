"""The mesh renderer on the real sample portrait, judged by re-detecting the face it draws.

Pose, eyes, mouth and gaze are measured with MediaPipe FaceMesh on the rendered frames
(studio.analysis.pose), the same way an artist's eye would judge them: not from the renderer's
own numbers.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.analysis import pose
from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import InputError
from studio.render.mesh import MeshRenderer

SIZE = 512


@pytest.fixture(scope="module")
def rig(sample_rig):
    return sample_rig


@pytest.fixture(scope="module")
def renderer(rig):
    r = MeshRenderer()
    r.prepare(rig, SIZE, SIZE)
    return r


@pytest.fixture(scope="module")
def neutral(renderer):
    return renderer.render(ControlFrame())


@pytest.fixture(scope="module")
def neutral_landmarks(neutral):
    found = pose.detect_landmarks(neutral)
    assert found is not None
    return found


def detect(image: np.ndarray) -> np.ndarray:
    found = pose.detect_landmarks(image)
    assert found is not None, "no face found on the rendered frame"
    return found


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_neutral_frame_reproduces_the_portrait(rig, neutral):
    assert neutral.shape == (SIZE, SIZE, 3) and neutral.dtype == np.uint8
    assert psnr(neutral, cv2.resize(rig.image, (SIZE, SIZE), interpolation=cv2.INTER_AREA)) >= 35.0


def test_neutral_frame_reproduces_the_portrait_at_another_size(rig):
    r = MeshRenderer()
    r.prepare(rig, 320, 320)
    out = r.render(ControlFrame())
    assert out.shape == (320, 320, 3)
    assert psnr(out, cv2.resize(rig.image, (320, 320), interpolation=cv2.INTER_AREA)) >= 35.0


@pytest.mark.parametrize("axis", ["yaw", "pitch", "roll"])
def test_measured_head_rotation_follows_the_command(renderer, neutral_landmarks, axis):
    which = {"yaw": 0, "pitch": 1, "roll": 2}[axis]
    for angle in (-20.0, -10.0, 10.0, 20.0):
        moved = detect(renderer.render(ControlFrame(**{axis: angle})))
        measured = pose.relative_pose(neutral_landmarks, moved)
        assert measured[which] == pytest.approx(angle, abs=3.0), (axis, angle, measured)
        others = [m for i, m in enumerate(measured) if i != which]
        assert max(abs(m) for m in others) < 5.0, (axis, angle, measured)


def test_yaw_turns_the_nose_toward_the_viewers_right(renderer, neutral_landmarks):
    moved = detect(renderer.render(ControlFrame(yaw=15)))
    nose = 1
    assert moved[nose, 0] - neutral_landmarks[nose, 0] > 5.0


def test_blinks_close_the_eyes_and_open_again(renderer, neutral_landmarks):
    open_left, open_right = pose.eye_openness(neutral_landmarks)
    closed = detect(renderer.render(ControlFrame(expression={"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0})))
    shut_left, shut_right = pose.eye_openness(closed)
    assert shut_left < 0.45 * open_left and shut_right < 0.45 * open_right
    reopened = detect(renderer.render(ControlFrame(expression={"eyeBlinkLeft": 0.0, "eyeBlinkRight": 0.0})))
    assert pose.eye_openness(reopened) == pytest.approx((open_left, open_right), rel=0.1)


def test_one_sided_blink_closes_the_subjects_own_eye(renderer, neutral_landmarks):
    open_left, open_right = pose.eye_openness(neutral_landmarks)
    wink = detect(renderer.render(ControlFrame(expression={"eyeBlinkLeft": 1.0})))
    left, right = pose.eye_openness(wink)
    assert left < 0.6 * open_left
    assert right > 0.8 * open_right


def test_mouth_opening_grows_with_jaw_open(renderer):
    openings = [
        pose.mouth_openness(detect(renderer.render(ControlFrame(expression={"jawOpen": jaw}))))
        for jaw in (0.0, 0.3, 0.6, 1.0)
    ]
    assert all(b > a + 0.02 for a, b in zip(openings, openings[1:])), openings


def test_open_mouth_shows_a_dark_cavity_and_bright_teeth(renderer):
    closed = renderer.render(ControlFrame())
    frame = ControlFrame(expression={"jawOpen": 0.8})
    opened = renderer.render(frame)
    lips = renderer.posed_landmarks(frame)
    upper, lower = lips[13], lips[14]
    mid = ((upper + lower) / 2).round().astype(int)
    cavity = opened[mid[1], mid[0]].astype(float)
    # the middle of the gap is cavity: much darker than what was there at rest
    assert cavity.mean() < 0.6 * closed[mid[1], mid[0]].mean()
    # just under the upper lip: light, nearly neutral teeth
    tooth = opened[tuple((upper + (lower - upper) * 0.15).round().astype(int)[::-1])].astype(float)
    assert tooth.mean() > 150 and tooth.mean() > 1.8 * cavity.mean()
    assert tooth.max() - tooth.min() < 60


@pytest.mark.parametrize("gaze_yaw", [25.0, -25.0])
def test_gaze_moves_the_irises_sideways(renderer, neutral_landmarks, gaze_yaw):
    rest = np.array(pose.iris_offset(neutral_landmarks))
    looked = np.array(pose.iris_offset(detect(renderer.render(ControlFrame(gaze_yaw=gaze_yaw)))))
    shift = looked[0] - rest[0]
    assert np.sign(shift) == np.sign(gaze_yaw) and abs(shift) > 0.02, shift


def _dark_centroid_y(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Vertical centre of the dark (iris) pixels inside both eyes' boxes."""
    ys = []
    for corners in ((33, 133), (362, 263)):
        x0, x1 = sorted(int(round(landmarks[i, 0])) for i in corners)
        yc = int(round(landmarks[list(corners), 1].mean()))
        half = (x1 - x0) // 2
        box = image[yc - half:yc + half, x0:x1].astype(float).mean(axis=-1)
        weight = np.clip(box.mean() - box, 0, None)
        ys.append((weight.sum(axis=1) * np.arange(len(box))).sum() / weight.sum())
    return float(np.mean(ys))


@pytest.mark.parametrize("gaze_pitch", [20.0, -20.0])
def test_gaze_moves_the_irises_up_and_down(renderer, rig, neutral, gaze_pitch):
    # FaceMesh hardly registers vertical iris motion, so the dark iris itself is followed
    rest = _dark_centroid_y(neutral, rig.landmarks)
    looked = _dark_centroid_y(renderer.render(ControlFrame(gaze_pitch=gaze_pitch)), rig.landmarks)
    assert np.sign(rest - looked) == np.sign(gaze_pitch) and abs(rest - looked) > 0.05, (rest, looked)


def test_alpha_channel_is_the_warped_person(renderer, rig, neutral):
    rgba = renderer.render(ControlFrame(), with_alpha=True)
    assert rgba.shape == (SIZE, SIZE, 4)
    np.testing.assert_array_equal(rgba[..., :3], neutral)
    person = rig.mask > 0.5
    alpha = rgba[..., 3]
    assert (alpha[person] > 127).mean() > 0.98 and (alpha[~person] <= 127).mean() > 0.98
    # turned: the alpha moves with the head, and the face is opaque where it now is
    frame = ControlFrame(yaw=20)
    turned = renderer.render(frame, with_alpha=True)
    nose = renderer.posed_landmarks(frame)[1].round().astype(int)
    assert turned[nose[1], nose[0], 3] == 255
    np.testing.assert_array_equal(turned[..., :3], renderer.render(frame))


def test_background_far_from_the_person_stays_still_under_a_head_turn(renderer, rig, neutral):
    person = (rig.mask > 0.02).astype(np.uint8)
    far = cv2.distanceTransform(1 - person, cv2.DIST_L2, 5) > 40
    assert far.mean() > 0.05
    for frame in (ControlFrame(yaw=20), ControlFrame(pitch=-15, roll=10, tx=0.2)):
        out = renderer.render(frame)
        np.testing.assert_array_equal(out[far], neutral[far])
        assert np.abs(out.astype(int) - neutral).max() > 50  # the head did move


def test_posed_landmarks_follow_the_drawn_face(renderer, rig):
    np.testing.assert_allclose(renderer.posed_landmarks(ControlFrame()), rig.landmarks[:, :2], atol=1e-3)
    frame = ControlFrame(yaw=15, roll=-10, expression={"jawOpen": 0.5})
    posed = renderer.posed_landmarks(frame)
    found = detect(renderer.render(frame))
    stable = list(pose.STABLE_LANDMARKS)
    assert np.linalg.norm(posed[stable] - found[stable, :2], axis=1).mean() < 3.0


def test_cover_crop_keeps_the_face_in_a_wide_frame(rig):
    r = MeshRenderer()
    r.prepare(rig, 512, 256)
    out = r.render(ControlFrame())
    assert out.shape == (256, 512, 3)
    # the crop is a band of the photo around the face
    rows = [y for y in range(0, 512 - 256 + 1) if np.array_equal(rig.image[y:y + 256], out)]
    assert len(rows) == 1
    x0, y0, x1, y1 = rig.face_box
    assert rows[0] <= y0 and y1 <= rows[0] + 256


def test_bad_sizes_and_unprepared_use_are_refused(rig):
    with pytest.raises(InputError, match="output size"):
        MeshRenderer().prepare(rig, 4096, 512)
    with pytest.raises(RuntimeError, match="prepare"):
        MeshRenderer().render(ControlFrame())


def _midline(renderer, expression: dict, steps: int = 21) -> np.ndarray:
    """Colours along the posed mouth's midline, from the upper inner lip (13) to the lower (14)."""
    frame = ControlFrame(expression=expression)
    out = renderer.render(frame)
    lips = renderer.posed_landmarks(frame)
    points = [(lips[13] + (lips[14] - lips[13]) * k).round().astype(int) for k in np.linspace(0, 1, steps)]
    return np.array([out[y, x] for x, y in points], dtype=float)


def test_wide_open_mouth_is_a_shaded_cavity_with_teeth_and_a_low_tongue(renderer):
    line = _midline(renderer, {"jawOpen": 1.0})
    luma = line.mean(axis=1)
    # darkest deep inside, not at the lips; dark but not a flat black hole
    darkest = int(np.argmin(luma))
    assert 0.3 <= darkest / (len(luma) - 1) <= 0.7, luma
    assert 15 < luma[darkest] < 70
    # warm, not purple: a mouth's inside is red-brown
    assert line[darkest, 0] > line[darkest, 2] + 5
    # upper teeth under the upper lip, brighter lower teeth/lip above the lower lip
    assert luma[:6].max() > 3 * luma[darkest] and luma[-5:].max() > 2.5 * luma[darkest]
    # the tongue lies in the lower part of the gap: redder and brighter than the cavity above it
    lower = line[len(line) // 2 + 2:-3]
    tongue = lower[np.argmax(lower[:, 0] - lower[:, 2])]
    assert tongue[0] - tongue[2] > line[darkest, 0] - line[darkest, 2] + 20 and tongue.mean() > 1.8 * luma[darkest]


def test_open_mouth_reuses_the_photos_own_upper_teeth(renderer, neutral):
    frame = ControlFrame(expression={"jawOpen": 0.6})
    opened = renderer.render(frame)
    rest = renderer.posed_landmarks(ControlFrame())
    # a strip of the photo's teeth right under the upper lip, between the lip points 81 and 311
    x0, x1 = int(rest[81, 0]), int(rest[311, 0])
    y = int(round(rest[13, 1])) + 2
    photo_strip = neutral[y:y + 3, x0:x1].astype(float).mean(axis=(0, 2))
    drawn_strip = opened[y:y + 3, x0:x1].astype(float).mean(axis=(0, 2))
    assert photo_strip.std() > 8  # real teeth: gaps and edges, not a flat fill
    assert np.corrcoef(photo_strip, drawn_strip)[0, 1] > 0.7


@pytest.mark.parametrize("expression", [
    {"jawOpen": 0.2}, {"jawOpen": 0.5}, {"jawOpen": 0.4, "mouthFunnel": 1.0}, {"jawOpen": 0.3, "mouthPucker": 1.0},
    {"jawOpen": 0.5, "mouthSmileLeft": 0.8, "mouthSmileRight": 0.8},
])
def test_mouth_interior_stays_inside_the_lips(renderer, neutral, expression):
    frame = ControlFrame(expression=expression)
    out = renderer.render(frame)
    lips = renderer.posed_landmarks(frame)
    # just outside the outer lip contour (under the chin-side lip and above the upper lip) the
    # skin is not darkened by the interior
    for index, step in ((0, -3), (17, 3)):
        x, y = lips[index].round().astype(int)
        assert out[y + step, x].mean() > 0.8 * neutral[y + step, x].mean(), (expression, index)
    line = _midline(renderer, expression)
    assert line.mean(axis=1).min() < 0.7 * line.mean(axis=1).max()


EYES = {"Left": (263, 362, 386, 374), "Right": (33, 133, 159, 145)}  # corners, mid upper, mid lower


def _eye_box(image: np.ndarray, lm: np.ndarray, side: str) -> np.ndarray:
    """Pixels between an eye's rest corners and lids (the middle 60 % of its width)."""
    outer, inner, top, bottom = EYES[side]
    x0, x1 = sorted((lm[outer, 0], lm[inner, 0]))
    pad = 0.2 * (x1 - x0)
    return image[int(lm[top, 1]):int(np.ceil(lm[bottom, 1])), int(x0 + pad):int(x1 - pad)].reshape(-1, 3).astype(float)


def test_closed_lid_reads_as_skin_with_a_lash_line(renderer, rig, neutral):
    frame = ControlFrame(expression={"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0})
    closed = renderer.render(frame)
    posed = renderer.posed_landmarks(frame)
    lm = rig.landmarks
    for side, (outer, inner, top, bottom) in EYES.items():
        below = neutral[int(lm[bottom, 1]) + 6:int(lm[bottom, 1]) + 10, int(lm[bottom, 0]) - 3:int(lm[bottom, 0]) + 3]
        skin = below.reshape(-1, 3).astype(float).mean(axis=0)
        open_eye = _eye_box(neutral, lm, side)
        iris = open_eye[open_eye.sum(axis=1) <= np.quantile(open_eye.sum(axis=1), 0.2)].mean(axis=0)
        lid = _eye_box(closed, lm, side)
        # the lid is skin: close to the skin under the eye, far from the iris, and clean (no
        # dark smear left in it: at most the thin lash line is dark)
        assert np.linalg.norm(lid.mean(axis=0) - skin) < 0.35 * np.linalg.norm(iris - skin), side
        assert (lid.sum(axis=1) < iris.sum() + 60).mean() < 0.15, side
        # the lash line lies where the lids meet: darker than the lid just above it
        x, y = posed[top].round().astype(int)
        column = closed[y - 6:y + 4, x].astype(float).mean(axis=1)
        assert column[-7:].min() < column[:3].mean() - 35, (side, column)


def test_half_blink_lowers_a_skin_lid_over_the_iris(renderer, rig, neutral):
    frame = ControlFrame(expression={"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5})
    half = renderer.render(frame)
    posed = renderer.posed_landmarks(frame)
    lm = rig.landmarks
    for side, (outer, inner, top, bottom) in EYES.items():
        x = int(round(lm[top, 0]))
        rest_edge, edge = lm[top, 1], posed[top, 1]
        assert edge - rest_edge > 0.3 * (lm[bottom, 1] - rest_edge)  # the lid came down
        y = int(round((rest_edge + edge) / 2))  # covered now; iris/lash at rest
        lid_colour = half[y, x].astype(float)
        above = neutral[int(round(lm[top, 1])) - 4, x].astype(float)
        # skin: the hue of the brow skin above, a little shaded
        ratio = lid_colour / above
        assert ratio.max() - ratio.min() < 0.08 and 0.65 < ratio.mean() <= 1.05, (side, lid_colour, above)
        assert lid_colour.mean() > neutral[y, x].astype(float).mean() + 40
        # below the new edge the eye is still open: the iris shows
        assert half[int(round(edge)) + 2, x].astype(float).mean() < lid_colour.mean() - 40
