"""The mesh renderer's layers (issue 11): clean plate, still torso, depth-ordered head, teeth.

Each test checks one layer on real portraits (the bundled astronaut, and Grace Hopper from the
installed matplotlib: a cap, glasses and no teeth showing) and would fail on the renderer before
the layers: a plate streaked or changed where the mask says background, a collar that swings
with the head, a far cheek squeezed instead of hidden, grey teeth that ignore the photo's light.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.analysis import landmarks as topo
from studio.render.mesh import MeshRenderer
from studio.render.mesh_warp import DenseWarp

SIZE = 512


@pytest.fixture(scope="module")
def renderer(sample_rig):
    r = MeshRenderer()
    r.prepare(sample_rig, SIZE, SIZE)
    return r


@pytest.fixture(scope="module")
def hopper_rig(tmp_path_factory):
    import matplotlib

    from studio.analysis.portrait import analyze_portrait

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return analyze_portrait(path, cache_dir=tmp_path_factory.mktemp("hopper-analysis"))


def test_neutral_frame_is_the_portrait_exactly(sample_rig, renderer):
    out = renderer.render(ControlFrame(), with_alpha=True)
    # the sample is 512 x 512: no resize, so every layer must give back the photo's own pixels
    np.testing.assert_array_equal(out[..., :3], sample_rig.image)
    np.testing.assert_array_equal(out[..., 3], np.round(sample_rig.mask * 255).astype(np.uint8))


def test_clean_plate_keeps_the_background_and_fills_the_person_smoothly(sample_rig):
    plate, image, mask = sample_rig.clean_plate, sample_rig.image, sample_rig.mask
    # wherever the mask says background, the plate is the photo: background never moves
    background = mask < 0.01
    np.testing.assert_array_equal(plate[background], image[background])
    # where the face was: background colours continued smoothly, not streaks of the person's
    # edge dragged across (Telea's look) and not the face
    x0, y0, x1, y1 = sample_rig.face_box
    hole = plate[y0:y1, x0:x1].astype(np.float32)
    photo = image[y0:y1, x0:x1].astype(np.float32)
    detail = np.abs(cv2.Laplacian(hole, cv2.CV_32F, ksize=3)).mean()
    assert detail < 0.25 * np.abs(cv2.Laplacian(photo, cv2.CV_32F, ksize=3)).mean()
    streaks = np.abs(np.diff(hole, axis=1)).mean()
    assert streaks < 1.0, streaks


@pytest.mark.parametrize("roll", [-20.0, 20.0])
def test_torso_stays_put_when_the_head_rolls(hopper_rig, roll):
    r = MeshRenderer()
    r.prepare(hopper_rig, SIZE, SIZE)
    rest = r.render(ControlFrame()).astype(np.float32)
    rolled = r.render(ControlFrame(roll=roll)).astype(np.float32)
    # the frame's bottom fifth (shoulders, collar, ribbons) changes by under 3 grey levels (it
    # swung by 6 when the whole neck and collar followed the head)
    bottom = slice(SIZE * 4 // 5, SIZE)
    assert np.abs(rolled[bottom] - rest[bottom]).mean() < 3.0
    # while the neck just under the chin bends with the head (the blend zone)
    landmarks = r.posed_landmarks(ControlFrame())
    chin = landmarks[topo.CHIN, 1]
    face_height = chin - landmarks[topo.FOREHEAD, 1]
    neck = slice(int(chin), int(chin + 0.2 * face_height))
    x0, x1 = int(landmarks[172, 0]), int(landmarks[397, 0])
    assert np.abs(rolled[neck, x0:x1] - rest[neck, x0:x1]).mean() > 3.0


def test_hat_moves_rigidly_with_the_skull(hopper_rig):
    r = MeshRenderer()
    r.prepare(hopper_rig, SIZE, SIZE)
    frame = ControlFrame(roll=20.0)
    rest, rolled = r.posed_landmarks(ControlFrame()), r.posed_landmarks(frame)
    # the skull's rigid motion in the picture, from the forehead, nose and eye corners
    stable = [10, 151, 9, 168, 1, 33, 133, 362, 263]
    a, b = rest[stable].astype(np.float64), rolled[stable].astype(np.float64)
    u, _, vt = np.linalg.svd((b - b.mean(0)).T @ (a - a.mean(0)))
    rotation = u @ vt
    shift = b.mean(0) - a.mean(0) @ rotation.T
    # the cap above the forehead (its badge and band): every pixel of it lands where the same
    # rigid motion takes it, not bent toward a still background as the head's edge fades out
    face_height = rest[topo.CHIN, 1] - rest[topo.FOREHEAD, 1]
    top = rest[topo.FOREHEAD]
    ys, xs = np.mgrid[max(int(top[1] - 0.5 * face_height), 0):int(top[1] - 0.1 * face_height):3,
                      int(top[0] - 0.35 * face_height):int(top[0] + 0.35 * face_height):3]
    person = r.render(ControlFrame(), with_alpha=True)[..., 3]
    on_person = person[ys.ravel(), xs.ravel()] > 200
    cap = np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float64)[on_person]
    landed = np.round(cap @ rotation.T + shift).astype(int)
    region, map_x, map_y = r.sampling_map(frame)
    inside = ((cap[:, 1] >= 0) & (landed[:, 1] >= region[0].start) & (landed[:, 1] < region[0].stop)
              & (landed[:, 0] >= region[1].start) & (landed[:, 0] < region[1].stop))
    assert inside.mean() > 0.8
    cap, landed = cap[inside], landed[inside]
    sampled = np.column_stack([map_x[landed[:, 1] - region[0].start, landed[:, 0] - region[1].start],
                               map_y[landed[:, 1] - region[0].start, landed[:, 0] - region[1].start]])
    error = np.linalg.norm(sampled - cap, axis=1)
    assert np.median(error) < 1.5 and np.quantile(error, 0.9) < 3.0, (np.median(error), np.quantile(error, 0.9))


def test_depth_test_shows_the_nearer_of_two_overlapping_surfaces():
    # a strip of the mesh slides right over the still part beside it; with the strip nearer it
    # covers what it slides over, with the strip farther it goes behind it
    xs, ys = np.meshgrid(np.linspace(-0.5, 127.5, 17), np.linspace(-0.5, 63.5, 9))
    points = np.column_stack([xs.ravel(), ys.ravel()])
    strip = (points[:, 0] > 30) & (points[:, 0] < 50) & (points[:, 1] > 10) & (points[:, 1] < 54)
    movable = np.ones(len(points), dtype=bool)
    warp = DenseWarp(points, movable, 128, 64, 2)
    displacement = np.zeros((len(points), 2), np.float32)
    displacement[strip, 0] = 24.0
    sampled = {}
    for name, strip_depth in (("near", -10.0), ("far", 10.0)):
        depth = np.where(strip, strip_depth, 0.0).astype(np.float32)
        region, map_x, _ = warp.backward_map(displacement, depth)
        x = 64 - region[1].start  # a column the strip slides over
        sampled[name] = float(map_x[32 - region[0].start, x])
    assert sampled["near"] == pytest.approx(64 - 24, abs=2.5)  # the strip's own pixels
    assert sampled["far"] == pytest.approx(64, abs=2.5)  # the still surface in front of it


@pytest.mark.parametrize(("yaw", "far_outline"), [
    (30.0, [454, 323, 361, 356, 447]),  # turning toward the viewer's right: the subject's left side
    (-30.0, [234, 93, 132, 127, 227]),
])
def test_far_cheek_hides_behind_the_face_when_the_head_turns(renderer, yaw, far_outline):
    frame = ControlFrame(yaw=yaw)
    region, map_x, _ = renderer.sampling_map(frame)
    rest = renderer.posed_landmarks(ControlFrame())
    posed = renderer.posed_landmarks(frame)
    face_width = rest[454, 0] - rest[234, 0]
    # where the far side's outline would land, the picture shows the cheek in front of it (a
    # point of the photo nearer the nose), not the outline squeezed in; without the depth test
    # the outline itself shows there
    towards_nose = -np.sign(yaw)
    shown = []
    for index in far_outline:
        x, y = np.round(posed[index]).astype(int)
        shown.append(map_x[y - region[0].start, x - region[1].start] - rest[index, 0])
    assert towards_nose * np.mean(shown) > 0.06 * face_width, shown


def _teeth_colour(renderer: MeshRenderer) -> np.ndarray:
    frame = ControlFrame(expression={"jawOpen": 0.7})
    out = renderer.render(frame).astype(np.float32)
    lips = renderer.posed_landmarks(frame)
    top = lips[13]
    x0, x1 = int(lips[82, 0]), int(lips[312, 0])
    y = int(round(top[1])) + 2
    return out[y:y + 3, x0:x1].reshape(-1, 3).mean(axis=0)


def test_drawn_teeth_are_ivory_in_the_photos_white_balance(hopper_rig):
    r = MeshRenderer()
    r.prepare(hopper_rig, SIZE, SIZE)
    teeth = _teeth_colour(r)
    cheeks = r.posed_landmarks(ControlFrame())[[50, 280]].astype(int)  # below the eyes
    skin = r.render(ControlFrame())[cheeks[:, 1], cheeks[:, 0]]
    # lighter than the skin, warm (not the blue-grey slabs of before), not saturated like skin
    assert teeth.mean() > skin.astype(np.float32).mean() + 20
    assert teeth[0] >= teeth[1] >= teeth[2]
    assert teeth[2] / teeth[0] > 0.65
    # the same portrait under cooler light: the teeth follow the light's cast
    cast = np.array([0.82, 0.95, 1.15], np.float32)

    def cooled(picture):
        return np.clip(picture.astype(np.float32) * cast, 0, 255).astype(np.uint8)

    cool = MeshRenderer()
    cool.prepare(dataclasses.replace(hopper_rig, image=cooled(hopper_rig.image),
                                     clean_plate=cooled(hopper_rig.clean_plate)), SIZE, SIZE)
    cool_teeth = _teeth_colour(cool)
    warm_ratio, cool_ratio = teeth[2] / teeth[0], cool_teeth[2] / cool_teeth[0]
    assert cool_ratio > warm_ratio * 1.12


def test_the_timeline_shows_the_believable_range_and_marks_keys_beyond_it():
    from PySide6.QtWidgets import QApplication

    from studio.doc.project import Key, Project
    from studio.render.mesh import BELIEVABLE_POSE
    from studio.ui.timeline.lanes import believable, build_lanes, pose_bands
    from studio.ui.timeline.view import Timeline

    assert BELIEVABLE_POSE == {"head_yaw": 30.0, "head_pitch": 20.0, "head_roll": 20.0}
    assert believable("head_yaw", -30.0) and not believable("head_yaw", 31.0)
    assert believable("head_roll", 20.0) and not believable("head_roll", -24.0)
    assert believable("blink_rate", 500.0)
    pose = next(lane for lane in build_lanes() if lane.name == "pose")
    (wide_top, wide_bottom, wide), (top, bottom, narrow) = pose_bands(pose)
    assert wide == ("head_yaw",) and set(narrow) == set(BELIEVABLE_POSE)
    assert wide_top < top < pose.y_of(0.0) < bottom < wide_bottom
    assert top == pytest.approx(pose.y_of(20.0)) and bottom == pytest.approx(pose.y_of(-20.0))

    QApplication.instance() or QApplication([])
    project = Project(duration=4.0)
    project.tracks.head_yaw.keys = [Key(0.0, 10.0), Key(1.0, 40.0)]
    project.tracks.head_roll.keys = [Key(2.0, -25.0)]
    timeline = Timeline()
    timeline.set_project(project)
    symbols = {(ref.track, ref.index): spot.symbol() for ref, spot in zip(timeline._refs, timeline._scatter.points())}
    assert symbols[("head_yaw", 0)] == "o"
    assert symbols[("head_yaw", 1)] == "t" and symbols[("head_roll", 0)] == "t"
    assert len(timeline._believable_bands) == 2
