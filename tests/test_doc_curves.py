"""Keyed tracks sample the way docs/project-format.md says, at every frame of a clip."""

from __future__ import annotations

import numpy as np
import pytest

from studio.doc.curves import sample_curve, sample_records
from studio.doc.project import Curve, GazeKey, Key, StyleKey


def two_keys(interp: str) -> Curve:
    return Curve(keys=[Key(1.0, 0.0, interp), Key(3.0, 10.0, "linear")])


def test_no_keys_gives_the_default():
    values = sample_curve(Curve(default=17.0), np.linspace(0, 10, 7))
    assert values.shape == (7,)
    assert np.all(values == 17.0)


def test_single_key_holds_everywhere():
    values = sample_curve(Curve(keys=[Key(2.0, 5.0)]), np.array([0.0, 2.0, 9.0]))
    assert np.all(values == 5.0)


@pytest.mark.parametrize("interp", ["linear", "smooth", "step", "ease"])
def test_keys_are_hit_and_held_outside(interp):
    curve = two_keys(interp)
    values = sample_curve(curve, np.array([-1.0, 0.0, 1.0, 3.0, 4.0, 100.0]))
    assert values.tolist() == [0.0, 0.0, 0.0, 10.0, 10.0, 10.0]


def test_linear_midpoint():
    assert sample_curve(two_keys("linear"), np.array([1.5, 2.0]))[1] == pytest.approx(5.0)
    assert sample_curve(two_keys("linear"), np.array([1.5]))[0] == pytest.approx(2.5)


def test_step_holds_until_the_next_key():
    values = sample_curve(two_keys("step"), np.array([1.0, 2.0, 2.999, 3.0]))
    assert values.tolist() == [0.0, 0.0, 0.0, 10.0]


def test_ease_starts_and_lands_softly():
    t = np.array([1.0, 1.1, 2.0, 2.9, 3.0])
    eased = sample_curve(two_keys("ease"), t)
    linear = sample_curve(two_keys("linear"), t)
    assert eased[2] == pytest.approx(5.0)
    assert eased[1] < linear[1]  # slow start
    assert eased[3] > linear[3]  # slow landing
    assert eased[3] < 10.0


def test_interp_of_a_key_governs_the_segment_after_it():
    curve = Curve(keys=[Key(0.0, 0.0, "step"), Key(1.0, 10.0, "linear"), Key(2.0, 0.0)])
    values = sample_curve(curve, np.array([0.5, 1.5]))
    assert values.tolist() == [0.0, 5.0]


def test_smooth_never_overshoots_keys():
    # A sharp rise then a plateau: a natural cubic spline would swing past 10 and below 0.
    keys = [Key(0.0, 0.0), Key(1.0, 0.0), Key(1.2, 10.0), Key(3.0, 10.0), Key(3.1, 9.0),
            Key(5.0, -20.0)]
    t = np.linspace(-1, 6, 5001)
    values = sample_curve(Curve(keys=keys), t)
    assert values.max() <= 10.0 + 1e-9
    assert values.min() >= -20.0 - 1e-9
    flat = (t >= 0) & (t <= 1)
    assert np.all(np.abs(values[flat]) < 1e-9)  # flat between equal keys
    # monotone on each monotone stretch of keys
    rise = (t >= 1.0) & (t <= 1.2)
    assert np.all(np.diff(values[rise]) >= -1e-9)
    fall = (t >= 3.0) & (t <= 5.0)
    assert np.all(np.diff(values[fall]) <= 1e-9)


def test_smooth_is_continuous_and_has_no_kink_at_inner_keys():
    curve = Curve(keys=[Key(0.0, 0.0), Key(1.0, 5.0), Key(2.0, 12.0)])
    t = np.array([1.0 - 1e-4, 1.0, 1.0 + 1e-4])
    v = sample_curve(curve, t)
    assert v[1] == pytest.approx(5.0)
    left, right = (v[1] - v[0]) / 1e-4, (v[2] - v[1]) / 1e-4
    assert left == pytest.approx(right, rel=1e-2)


def test_unsorted_keys_are_sampled_in_time_order():
    curve = Curve(keys=[Key(3.0, 10.0, "linear"), Key(1.0, 0.0, "linear")])
    assert sample_curve(curve, np.array([2.0]))[0] == pytest.approx(5.0)


def test_records_sample_every_field_with_one_interp():
    keys = [StyleKey(0.0, lip_amplitude=1.0, head_motion=0.0, interp="linear"),
            StyleKey(2.0, lip_amplitude=2.0, head_motion=1.0)]
    out = sample_records(keys, ("lip_amplitude", "head_motion", "expressiveness"),
                         np.array([1.0, 5.0]), {})
    assert out["lip_amplitude"].tolist() == pytest.approx([1.5, 2.0])
    assert out["head_motion"].tolist() == pytest.approx([0.5, 1.0])
    assert out["expressiveness"].tolist() == [1.0, 1.0]


def test_records_without_keys_take_defaults():
    out = sample_records([], ("yaw", "pitch"), np.zeros(4), {"yaw": 0.0, "pitch": 0.0})
    assert out["yaw"].shape == (4,) and not out["pitch"].any()
    gaze = sample_records([GazeKey(1.0, yaw=10.0, interp="step"), GazeKey(2.0, yaw=-5.0)],
                          ("yaw", "pitch"), np.array([0.0, 1.5, 2.5]), {})
    assert gaze["yaw"].tolist() == [10.0, 10.0, -5.0]
