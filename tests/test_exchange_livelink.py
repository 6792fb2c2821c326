"""Live Link Face CSV: its layout (header, count, timecodes), the values the renderer sees, the
capture read back onto the timeline, time alignment and the export -> import -> export round
trip on the sample's real speech."""

from __future__ import annotations

import copy
import csv
import io

import numpy as np
import pytest

from exchange_helpers import controls_of, sample_project
from studio.conditioning.control_frame import BLENDSHAPES
from studio.doc.errors import InputError
from studio.exchange import livelink
from studio.exchange.capture import captured_tracks, detect_blinks
from studio.exchange.exports import audio_analysis
from studio.exchange.imports import apply_import, read_import
from studio.exchange.thinning import max_error, thin

# The header Live Link Face writes (as Epic's app exports a take, and as Unreal's and Blender's
# importers read it): 52 ARKit names in PascalCase, then the head and eye rotations.
LLF_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll")


@pytest.fixture(scope="module")
def sample():
    project = sample_project()
    analysis = audio_analysis(project)
    return project, analysis, controls_of(project, analysis)


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_header_is_live_link_faces():
    assert livelink.HEADER == LLF_HEADER
    assert len(livelink.ARKIT) == 52 == len(set(livelink.ARKIT))
    assert set(BLENDSHAPES) < set(livelink.ARKIT)


def test_rows_hold_what_the_renderer_sees(sample):
    project, _, controls = sample
    text = livelink.write_livelink(controls.arrays(), project.fps)
    header, rows = _table(text)
    assert ",".join(header) == LLF_HEADER and len(rows) == len(controls)
    assert all(len(r) == 63 and r[1] == "61" for r in rows)
    assert rows[0][0] == "00:00:00:00.000" and rows[26][0] == "00:00:01:01.000"
    col = {name: i for i, name in enumerate(header)}
    for i in (0, 40, 123, len(rows) - 1):
        frame = controls.frame(i)
        for name in BLENDSHAPES:
            cell = float(rows[i][col[name[0].upper() + name[1:]]])
            assert cell == pytest.approx(frame.coefficient(name), abs=6e-7)
        assert float(rows[i][col["HeadYaw"]]) == pytest.approx(np.radians(frame.yaw), abs=6e-7)
        assert float(rows[i][col["HeadRoll"]]) == pytest.approx(np.radians(frame.roll), abs=6e-7)
        assert float(rows[i][col["LeftEyePitch"]]) == pytest.approx(
            np.radians(frame.gaze_pitch), abs=6e-7)
    blink = np.array([float(r[col["EyeBlinkLeft"]]) for r in rows])
    assert blink.max() == pytest.approx(1.0)  # the sample blinks, and a blink shuts the eyes


def test_thinning_keeps_the_curve_within_its_tolerance():
    t = np.linspace(0, 4, 201)
    v = np.stack([10 * np.sin(t * 2), np.where(t > 2, 3.0, 0.0)], 1)
    kept = thin(t, v, [0.25, 0.1])
    assert kept[0] == 0 and kept[-1] == 200 and len(kept) < 60
    rebuilt = max_error(t, v[:, 0], kept)
    assert rebuilt <= 0.25
    assert max_error(t, v[:, 1], kept) <= 0.1


def test_blinks_are_found_where_the_lids_shut():
    from studio.conditioning.blinks import blink_profile
    from studio.doc.project import Blink

    times = np.arange(0, 5, 1 / 60)
    truth = [Blink(1.0, 0.2), Blink(2.5, 0.3), Blink(4.0, 0.15)]
    found = detect_blinks(times, blink_profile(truth, times, 60), 60)
    assert [b.t for b in found] == pytest.approx([1.0, 2.5, 4.0], abs=1 / 60)
    assert [b.duration for b in found] == pytest.approx([0.2, 0.3, 0.15], abs=0.04)


def test_timecodes_rate_and_alignment():
    rows = [f"14:03:5{s}:{f:02d}.500,61" + ",0" * 61 for s in (2, 3) for f in range(0, 30)]
    text = livelink.HEADER + "\n" + "\n".join(rows)
    take = livelink.read_livelink(text)
    assert take.fps == 30 and take.start == pytest.approx(14 * 3600 + 3 * 60 + 52 + 0.5 / 30)
    project = sample_project()
    late = captured_tracks(take, project, offset=1.5)
    first = next(k for k in late.tracks["head_yaw"].keys if k.t > 1.4)  # the take's first
    assert first.t == pytest.approx(1.5)
    slate = captured_tracks(take, project, origin=14 * 3600 + 3 * 60 + 53.0)
    first = next(k for k in slate.tracks["head_yaw"].keys if k.t > 0.001)  # the take's first
    assert first.t == pytest.approx(0.5 / 30, abs=1e-6)  # its 2nd second
    odd = [f"00:00:0{s}:{f:02d}.000,61" + ",0" * 61 for s in range(3) for f in range(12)]
    assert livelink.read_livelink(livelink.HEADER + "\n" + "\n".join(odd)).fps == 12
    gappy = [r for i, r in enumerate(rows) if i % 7 != 3]  # dropped frames: a common rate
    assert livelink.read_livelink(livelink.HEADER + "\n" + "\n".join(gappy)).fps == 30
    with pytest.raises(InputError, match="not a timecode"):
        livelink.read_livelink(livelink.HEADER + "\nnoon,61" + ",0" * 61)
    with pytest.raises(InputError, match="first column"):
        livelink.read_livelink("Time,Jaw\n0,1\n")


def _columns(text: str, names: list[str]) -> np.ndarray:
    header, rows = _table(text)
    idx = [header.index(n) for n in names]
    return np.array([[float(r[i]) for i in idx] for r in rows])


def test_export_import_export_round_trip(sample, tmp_path):
    """The sample (automatic head motion, brows from the voice, blinks, gaze and yaw keys):
    exported, imported into the project, exported again. Pose, gaze and brows agree within
    the thinning tolerances, blinks land on the same frames; a second round changes nothing
    beyond the CSV's rounding."""
    project, analysis, controls = sample
    first = livelink.write_livelink(controls.arrays(), project.fps)
    path = tmp_path / "take.csv"
    path.write_text(first)

    def round_trip(text: str):
        path.write_text(text)
        edited = copy.deepcopy(project)
        imported = read_import(edited, path)
        apply_import(edited, imported)
        return edited, livelink.write_livelink(controls_of(edited, analysis).arrays(), edited.fps)

    edited, second = round_trip(first)
    assert edited.tracks.style and all(k.head_motion == 0 for k in edited.tracks.style)
    assert len(edited.tracks.head_yaw.keys) < len(controls) / 2  # thinned
    head = ["HeadYaw", "HeadPitch", "HeadRoll"]
    assert np.abs(_columns(first, head) - _columns(second, head)).max() <= np.radians(0.25) + 1e-6
    eyes = ["LeftEyeYaw", "LeftEyePitch"]
    assert np.abs(_columns(first, eyes) - _columns(second, eyes)).max() <= np.radians(0.5) + 1e-6
    brows = ["BrowOuterUpLeft", "BrowOuterUpRight", "BrowDownLeft", "BrowDownRight"]
    assert np.abs(_columns(first, brows) - _columns(second, brows)).max() <= 0.03
    blinks = ["EyeBlinkLeft"]
    shut_first = np.flatnonzero(_columns(first, blinks)[:, 0] > 0.99)
    shut_second = np.flatnonzero(_columns(second, blinks)[:, 0] > 0.99)
    assert set(shut_first) <= set(shut_second) and len(shut_first) > 0
    mouth = ["JawOpen", "MouthClose", "MouthPucker"]
    assert np.array_equal(_columns(first, mouth), _columns(second, mouth))  # the voice's
    _, third = round_trip(second)
    every = list(livelink.COLUMNS)
    assert np.abs(_columns(second, every) - _columns(third, every)).max() <= 0.03


def test_a_take_keeps_the_artists_keys_around_it_and_stays_inside_the_clip():
    """A take placed at 5 s replaces the keys it covers, keeps the artist's before and after
    it, and what runs past the clip's end is left out (it was written where no one sees it)."""
    from studio.doc.project import BrowKey, Key

    project = sample_project()
    project.tracks.head_yaw.keys = [Key(1.0, 12.0), Key(6.0, -5.0), Key(12.5, 3.0)]
    project.tracks.brows = [BrowKey(0.5, 0.4), BrowKey(12.9, -0.2)]
    seconds = project.duration - 5.0 + 3.0  # runs 3 s past the clip's end
    rows = [f"00:00:{int(i / 30):02d}:{i % 30:02d}.000,61" + ",0.1" * 61
            for i in range(int(seconds * 30))]
    take = livelink.read_livelink(livelink.HEADER + "\n" + "\n".join(rows))
    captured = captured_tracks(take, project, offset=5.0)
    a, b = captured.span
    assert a == pytest.approx(5.0) and b <= project.duration
    yaw = captured.tracks["head_yaw"].keys
    assert [k.t for k in yaw if k.t < a] == [1.0]  # the artist's key before the take stays
    assert all(k.t != 6.0 for k in yaw)  # the one the take covers is replaced
    assert max(k.t for k in yaw) <= project.duration
    assert [k.t for k in captured.tracks["brows"] if k.t < a] == [0.5]
    for name, track in captured.tracks.items():
        items = track.keys if hasattr(track, "keys") else track
        assert all(item.t <= project.duration for item in items), name
    with pytest.raises(ValueError, match="outside the clip"):
        captured_tracks(take, project, offset=project.duration + 1.0)
