"""The Document: edits are invertible, announce what changed, and mark unsaved work."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.doc.io import load_project, setting_bounds
from studio.doc.project import Blink, EmotionKey, Key, Project


@pytest.fixture
def doc() -> Document:
    project = Project(duration=10.0)
    project.tracks.head_yaw.keys = [Key(0.0, 0.0), Key(2.0, 10.0), Key(4.0, 0.0)]
    project.tracks.blinks = [Blink(1.0), Blink(3.0)]
    d = Document(project)
    d.changes = []
    d.events.connect(d.changes.append)
    return d


def test_add_and_undo(doc):
    before = copy.deepcopy(doc.project)
    old = doc.replace_track("head_yaw", [*doc.items("head_yaw"), Key(3.0, 5.0)])
    assert doc.project.tracks.head_yaw.keys[2] == Key(3.0, 5.0)  # in time order
    assert doc.dirty and doc.changes == [frozenset({"head_yaw"})]
    doc.replace_track("head_yaw", old)
    assert doc.project == before


def test_remove_and_undo(doc):
    before = copy.deepcopy(doc.project)
    old = doc.replace_track("blinks", doc.items("blinks")[1:])
    assert old[0] == Blink(1.0) and len(doc.project.tracks.blinks) == 1
    doc.replace_track("blinks", old)
    assert doc.project == before
    assert doc.changes == [frozenset({"blinks"})] * 2


def test_move_key_past_its_neighbour_keeps_time_order_and_undoes(doc):
    before = copy.deepcopy(doc.project)
    keys = doc.items("head_yaw")
    keys[0] = replace(keys[0], t=5.0, v=-3.0)
    old = doc.replace_track("head_yaw", keys)
    assert [k.t for k in doc.project.tracks.head_yaw.keys] == [2.0, 4.0, 5.0]
    assert old[0] == Key(0.0, 0.0)
    doc.replace_track("head_yaw", old)
    assert doc.project == before


def test_replace_track_and_undo(doc):
    before = copy.deepcopy(doc.project)
    old = doc.replace_track("emotion", [EmotionKey(5.0, "sad", 1.0), EmotionKey(1.0, "happy", 0.5)])
    assert [k.emotion for k in doc.project.tracks.emotion] == ["happy", "sad"]
    doc.replace_track("emotion", old)
    assert doc.project == before


def test_items_are_copies(doc):
    keys = doc.items("head_yaw")
    keys[0].v = 99.0
    assert doc.project.tracks.head_yaw.keys[0].v == 0.0


def test_settings_announce_settings_or_media(doc, tmp_path):
    old = doc.set_setting("fps", 30)
    assert old == 25 and doc.project.fps == 30
    assert doc.set_setting("render.diffusion.steps", 12) is None  # was the renderer's default
    assert doc.setting("render.diffusion.steps") == 12
    doc.set_setting("portrait", str(tmp_path / "face.jpg"))
    assert doc.changes == [frozenset({"settings"})] * 2 + [frozenset({"media"})]
    doc.set_setting("fps", old)
    assert doc.project.fps == 25


def test_a_renderers_setting_is_stored_as_set_and_none_gives_back_its_default(doc, tmp_path):
    """The document keeps a renderer's settings as plain values (the renderer checks them,
    tests/test_render_registry.py); undoing the first change removes the value again."""
    assert doc.setting("render.diffusion.steps") is None
    assert doc.set_setting("render.diffusion.steps", 12) is None
    reopened = Document.open(doc.save(tmp_path / "steps.json"))
    assert reopened.project.render.options == {"diffusion": {"steps": 12}}
    assert doc.set_setting("render.diffusion.steps", None) == 12
    assert doc.project.render.options == {}
    assert "diffusion" not in json.loads(doc.save(tmp_path / "none.json").read_text())["render"]


@pytest.mark.parametrize("name", ["fps", "width", "height", "seed"])
def test_a_setting_at_its_limit_saves_and_loads_and_one_past_it_is_refused(doc, tmp_path, name):
    """The document, the command line and the inspector take their limits from the schema, so
    a value any of them accepts is a value the file format accepts."""
    low, high = setting_bounds(name)
    doc.set_setting(name, high)
    path = doc.save(tmp_path / "limit.json")
    assert Document.open(path).setting(name) == high
    past = high + (1 if isinstance(high, int) else 0.01)
    with pytest.raises(InputError, match=f"{name} must be .*between"):
        doc.set_setting(name, past)
    with pytest.raises(InputError):
        doc.set_setting(name, low - 1)
    assert doc.setting(name) == high


def test_bad_settings_are_refused_before_they_change_anything(doc):
    with pytest.raises(InputError, match="width must be a whole number between 64 and 1024"):
        doc.set_setting("width", 4096)
    with pytest.raises(InputError, match="fps must be a whole number between 1 and 120, not 25fps"):
        doc.set_setting("fps", "25fps")
    # what the file format would refuse on load (issue 13)
    with pytest.raises(InputError, match="fps must be a whole number"):
        doc.set_setting("fps", 25.0)
    with pytest.raises(InputError, match="seed must be a whole number between 0 and "
                                         "9223372036854775807, not -1"):
        doc.set_setting("seed", -1)
    with pytest.raises(InputError, match="width must be even"):
        doc.set_setting("width", 511)
    with pytest.raises(KeyError):
        doc.set_setting("render.nonsense", 1)
    with pytest.raises(KeyError):
        doc.set_setting("tracks", None)
    with pytest.raises(KeyError):
        doc.replace_track("head_yawn", [Key(0.0, 0.0)])
    assert doc.project.width == 512 and not doc.changes and not doc.dirty


def test_curve_default(doc):
    assert doc.set_curve_default("blink_rate", 30) == 17.0
    assert doc.project.tracks.blink_rate.default == 30.0
    with pytest.raises(KeyError):
        doc.set_curve_default("blinks", 1.0)


def test_save_clears_dirty_and_reopens_equal(doc, tmp_path):
    doc.replace_track("head_pitch", [Key(1.0, 5.0)])
    with pytest.raises(InputError, match="choose where to save"):
        doc.save()
    path = doc.save(tmp_path / "take1.json")
    assert not doc.dirty and doc.name == "take1"
    reopened = Document.open(path)
    assert reopened.project == doc.project == load_project(path)
    assert not reopened.dirty


def test_disconnected_views_hear_nothing(doc):
    heard = []
    doc.events.connect(heard.append)
    doc.events.disconnect(heard.append)
    doc.notify({"style"})
    assert heard == [] and doc.changes == [frozenset({"style"})]
