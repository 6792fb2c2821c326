"""Speaking-style presets: built-ins, user files, and their effect on the ControlFrames."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.analysis.speech import analyze_performance
from studio.conditioning.styles import (
    BUILTIN, Preset, apply_preset, builtin_preset, load_preset, save_preset,
    shape_performance,
)
from studio.conditioning.sequence import build_controls
from studio.doc.errors import InputError
from studio.resources import STYLE_PRESETS_DIR
from studio.doc.project import Project


@pytest.fixture(scope="module")
def analysed(speech_path):
    return analyze_performance(speech_path, 25, seed=1)


def _controls(preset_name, analysed, speech_path):
    performance, visemes = analysed
    project = Project(audio=str(speech_path), duration=len(performance.loudness) / 25)
    project.tracks.visemes = list(visemes)
    preset = builtin_preset(preset_name)
    apply_preset(project, preset)
    return build_controls(project, shape_performance(performance, preset))


def test_every_builtin_preset_loads_with_a_description():
    assert sorted(p.stem for p in STYLE_PRESETS_DIR.glob("*.json")) == sorted(BUILTIN)
    for name in BUILTIN:
        preset = builtin_preset(name)
        assert preset.name == name and preset.description


def test_neutral_is_the_natural_default():
    neutral = builtin_preset("neutral")
    assert neutral.style == {"lip_amplitude": 1.0, "head_motion": 1.0, "expressiveness": 1.0}
    assert set(neutral.motion.values()) == {1.0} and neutral.expressive == 1.0


def test_user_preset_round_trips(tmp_path):
    mine = Preset(name="mine", description="slow talker", blink_rate=9.5,
                  style={"lip_amplitude": 0.7, "head_motion": 1.3, "expressiveness": 0.2},
                  motion={"nod": 2.0, "drift": 0.1, "sway": 0.0}, expressive=0.4)
    path = tmp_path / "mine.json"
    save_preset(mine, path)
    assert load_preset(path) == mine
    assert [p.name for p in tmp_path.iterdir()] == ["mine.json"]  # no temporary left behind


def test_bad_preset_files_are_refused_with_their_name(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="broken.json"):
        load_preset(broken)
    wild = tmp_path / "wild.json"
    wild.write_text(json.dumps({"name": "wild", "style": {"head_motion": -3}}))
    with pytest.raises(InputError, match="head_motion"):
        load_preset(wild)
    with pytest.raises(InputError, match="no such file"):
        load_preset(tmp_path / "absent.json")
    with pytest.raises(InputError, match="speaking style 'shouty'"):
        builtin_preset("shouty")


def test_apply_preset_sets_editable_style_keys_and_blink_rate():
    project = Project()
    apply_preset(project, builtin_preset("energetic"))
    assert project.style_preset == "energetic"
    [key] = project.tracks.style
    assert (key.t, key.lip_amplitude, key.head_motion, key.expressiveness) == (0.0, 1.2, 1.4, 1.4)
    assert project.tracks.blink_rate.default == 20.0


def test_presets_change_lips_head_and_brows_together(analysed, speech_path):
    calm = _controls("calm", analysed, speech_path)
    energetic = _controls("energetic", analysed, speech_path)
    whisper = _controls("whisper", analysed, speech_path)
    exaggerated = _controls("exaggerated", analysed, speech_path)

    def spread(controls, name):
        return float(np.std(controls.coefficient(name)))

    for name in ("jawOpen", "browInnerUp"):
        assert spread(whisper, name) < spread(calm, name) < spread(energetic, name) \
            < spread(exaggerated, name), name
    yaw = [float(np.std(c.arrays()["yaw"])) for c in (whisper, calm, energetic, exaggerated)]
    pitch = [float(np.std(c.arrays()["pitch"])) for c in (whisper, calm, energetic, exaggerated)]
    assert yaw == sorted(yaw) and pitch == sorted(pitch)
    assert pitch[-1] > 3 * pitch[0]


def test_switching_preset_leaves_the_analysis_untouched(analysed):
    performance, _ = analysed
    before = performance.head.copy()
    shaped = shape_performance(performance, builtin_preset("exaggerated"))
    np.testing.assert_array_equal(performance.head, before)
    assert np.abs(shaped.head[:, 1]).max() > np.abs(before[:, 1]).max()
