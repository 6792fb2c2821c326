"""The eyebrow track end to end: keys -> ARKit brow coefficients on top of the voice's brows ->
the mesh renderer moves the brows; keys made and edited in the studio with undo; saved and
loaded; files without brow keys unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from studio.conditioning.control_frame import ControlFrame
from studio.conditioning.sequence import brow_coefficients, build_controls
from studio.doc.document import Document
from studio.doc.io import dumps, load_project, save_project
from studio.doc.project import BrowKey, Project
from studio.ui.commands import edit_key_command
from studio.ui.timeline.keys import KeyRef
from test_conditioning_controls import FPS, speech_performance

BROWS = ("browInnerUp", "browOuterUpLeft", "browOuterUpRight", "browDownLeft", "browDownRight")
SIZE = 512


@pytest.fixture(scope="module")
def speech(speech_path):
    return speech_performance(speech_path)


def test_lift_and_offset_become_brow_coefficients():
    one = lambda v: np.array([v])  # noqa: E731
    up = brow_coefficients({"lift": one(0.6), "offset": one(0.0)})
    assert {k: float(v[0]) for k, v in up.items()} == pytest.approx(
        {"browInnerUp": 0.6, "browOuterUpLeft": 0.6, "browOuterUpRight": 0.6,
         "browDownLeft": 0.0, "browDownRight": 0.0})
    frown = brow_coefficients({"lift": one(-0.5), "offset": one(0.0)})
    assert float(frown["browDownLeft"][0]) == float(frown["browDownRight"][0]) == 0.5
    assert float(frown["browInnerUp"][0]) == 0.0
    one_brow = brow_coefficients({"lift": one(0.0), "offset": one(1.0)})
    assert float(one_brow["browOuterUpLeft"][0]) == 0.5  # the viewer's right brow up
    assert float(one_brow["browDownRight"][0]) == 0.5  # and the other down
    assert float(one_brow["browOuterUpRight"][0]) == 0.0


def test_brow_keys_add_on_top_of_the_voice_driven_brows(speech):
    project = Project(duration=speech.frame_count / FPS, fps=FPS, seed=3)
    plain = build_controls(project, speech)
    project.tracks.brows = [BrowKey(0.0, 0.0, 0.0), BrowKey(2.0, 0.4, 0.0, "linear")]
    keyed = build_controls(project, speech)
    voice = plain.coefficient("browInnerUp")
    assert voice.max() > 0.05  # the voice moves the brows
    t = keyed.t
    lift = np.clip(t / 2.0, 0, 1) * 0.4
    expected = np.clip(voice + lift, 0, 1)
    assert np.allclose(keyed.coefficient("browInnerUp"), expected, atol=1e-5)
    assert np.allclose(keyed.coefficient("browOuterUpLeft"),
                       np.clip(plain.coefficient("browOuterUpLeft") + lift, 0, 1), atol=1e-5)
    # every other coefficient and signal is untouched
    others = [i for i, name in enumerate(BROWS)]
    assert np.array_equal(np.delete(keyed.expression, others, axis=1),
                          np.delete(plain.expression, others, axis=1))
    assert np.array_equal(keyed.yaw, plain.yaw)


def test_brow_keys_at_zero_give_exactly_the_old_controls(speech):
    project = Project(duration=speech.frame_count / FPS, fps=FPS, seed=3)
    plain = build_controls(project, speech)
    project.tracks.brows = [BrowKey(0.5), BrowKey(3.0, interp="ease")]
    zero = build_controls(project, speech)
    assert zero.signal_keys() == plain.signal_keys()
    assert np.array_equal(zero.expression, plain.expression)


def test_the_mesh_renderer_raises_the_brows(sample_rig):
    from studio.analysis import pose
    from studio.render.mesh import MeshRenderer
    from studio.analysis.landmarks import LEFT_BROW_MID, RIGHT_BROW_MID

    renderer = MeshRenderer()
    renderer.prepare(sample_rig, SIZE, SIZE)
    old = renderer.render(ControlFrame())

    def brows(lift: float, offset: float = 0.0) -> ControlFrame:
        values = brow_coefficients({"lift": np.array([lift]), "offset": np.array([offset])})
        return ControlFrame(expression={k: float(v[0]) for k, v in values.items() if v[0]})

    assert np.array_equal(renderer.render(brows(0.0)), old)  # raise 0: the old frame
    raised = renderer.render(brows(1.0))
    found = pose.detect_landmarks(old)
    assert found is not None
    brow_ys = found[[LEFT_BROW_MID, RIGHT_BROW_MID], 1]
    changed = np.abs(raised.astype(int) - old.astype(int)).sum(axis=2) > 8
    rows = np.nonzero(changed.any(axis=1))[0]
    assert changed.sum() > 200
    # the change is around the brows, not at the mouth or chin
    assert brow_ys.min() - 60 < np.median(rows) < brow_ys.max() + 40
    mouth_y = found[13, 1]
    assert not changed[int(mouth_y) - 10:int(mouth_y) + 10].any()
    moved = pose.detect_landmarks(raised)
    assert moved is not None
    assert (moved[[LEFT_BROW_MID, RIGHT_BROW_MID], 1] < brow_ys - 1.0).all()  # both up
    # offset: the brow on the viewer's right (larger x) rises, the other lowers
    tilted = pose.detect_landmarks(renderer.render(brows(0.0, 1.0)))
    right_of_viewer = max((LEFT_BROW_MID, RIGHT_BROW_MID), key=lambda i: found[i, 0])
    left_of_viewer = min((LEFT_BROW_MID, RIGHT_BROW_MID), key=lambda i: found[i, 0])
    assert tilted[right_of_viewer, 1] < found[right_of_viewer, 1] - 0.5
    assert tilted[left_of_viewer, 1] > found[left_of_viewer, 1] - 0.2


def test_brow_keys_save_and_load_and_files_without_them_are_unchanged(tmp_path):
    project = Project(duration=4.0)
    before = dumps(project)
    assert '"brows"' not in before  # a studio from before the track still opens it
    project.tracks.brows = [BrowKey(2.0, -0.25, 0.5, "step"), BrowKey(1.0, 0.75)]
    path = tmp_path / "brows.json"
    save_project(project, path)
    assert '{"t": 1.0, "lift": 0.75, "offset": 0.0, "interp": "smooth"}' in path.read_text()
    loaded = load_project(path)
    assert loaded.tracks.brows == [BrowKey(1.0, 0.75), BrowKey(2.0, -0.25, 0.5, "step")]


def test_a_brow_key_is_made_on_its_lane_and_edited_with_undo(qtbot, tmp_path):
    from qt_windows import close_window, fresh_settings, make_window

    window = make_window(qtbot, fresh_settings(tmp_path))
    try:
        window.session.set_document(Document(Project(duration=4.0)))
        timeline = window.timeline
        lane = timeline._lane["brows"]
        timeline._double_click(QPointF(1.0, lane.y_of(0.0)))
        assert window.project.tracks.brows == [BrowKey(1.0, 0.0, 0.0)]
        ref = timeline.selected()[-1]
        assert ref.track == "brows"
        window.editing.refresh_inspector()
        assert {"t", "lift", "offset", "interp"} == set(window.inspector.fields)
        window.inspector.fields["lift"].setValue(0.6)  # as typed: keyEdited -> an undo command
        assert window.project.tracks.brows[0].lift == pytest.approx(0.6)
        assert timeline.lane_redraws["brows"] >= 1
        window.session.undo_stack.undo()
        assert window.project.tracks.brows[0].lift == 0.0
        window.session.undo_stack.undo()
        assert window.project.tracks.brows == []
        window.session.undo_stack.redo()
        window.editing.push(edit_key_command(window.session.doc, KeyRef("brows", 0, "lift"), offset=-0.4))
        assert window.project.tracks.brows[0].offset == pytest.approx(-0.4)
    finally:
        close_window(window)
