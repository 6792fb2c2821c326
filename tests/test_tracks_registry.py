"""The track registry (studio/doc/tracks.py) is the one definition of a track: every registered
track saves and loads, validates against the schema built from it, shows as a lane with its key
dots, has inspector fields, takes keys from the timeline with undo, and only the lanes of the
tracks an edit changed are redrawn."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox

from studio.doc.document import Document
from studio.doc.io import load_project, project_to_dict, save_project
from studio.doc.project import Key, Project
from studio.doc.schema import project_schema
from studio.doc.tracks import LANE, LANES, TRACK, TRACKS, check_registry, sample_track
from studio.ui.commands import add_key_command, edit_key_command
from studio.ui.timeline.keys import EDITABLE, KeyRef, key_refs


def _value(field, i: int):
    if field.choices:
        return field.choices[-1 - i % len(field.choices)]
    lo, hi = field.edit_range
    return round(lo + (0.3 + 0.2 * i) * (hi - lo), 3) + (0.001 if field.exclusive_lo else 0.0)


def full_project() -> Project:
    """Two keys on every registered track, each field away from its default."""
    project = Project(duration=6.0)
    for spec in TRACKS:
        items = []
        for i, t in enumerate((1.0, 3.0)):
            if spec.kind == "curve":
                items.append(Key(t, _value(spec.fields[0], i), "linear"))
            elif spec.kind == "segments":
                items.append(spec.record(t, t + 0.5, **{f.name: _value(f, i) for f in spec.fields}))
            else:
                values = {f.name: _value(f, i) for f in spec.fields}
                if spec.interpolated:
                    values["interp"] = "ease"
                items.append(spec.record(t, **values))
        spec.set_items(project.tracks, items)
    return project


def test_the_registry_agrees_with_the_project_model():
    check_registry()
    assert {lane.name for lane in LANES} == {spec.lane for spec in TRACKS}


def test_every_registered_track_round_trips_through_save_and_load(tmp_path):
    project = full_project()
    path = tmp_path / "all.json"
    save_project(project, path)
    data = project_to_dict(project)
    jsonschema.validate(data, project_schema(), cls=jsonschema.Draft202012Validator)
    assert set(data["tracks"]) == set(TRACK)
    loaded = load_project(path)
    for spec in TRACKS:
        assert spec.items(loaded.tracks) == spec.items(project.tracks), spec.name
        assert spec.items(loaded.tracks), spec.name
    again = tmp_path / "again.json"
    save_project(loaded, again)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("spec", [s for s in TRACKS if s.kind != "curve" and any(
    f.numeric for f in s.fields)], ids=lambda s: s.name)
def test_the_schema_refuses_a_value_outside_a_registered_range(tmp_path, spec):
    from studio.doc.errors import InputError

    numeric = [f for f in spec.fields if f.numeric]
    data = project_to_dict(full_project())
    field = numeric[0]
    data["tracks"][spec.name][0][field.name] = field.hi + 1
    with pytest.raises(InputError, match=rf"tracks\.{spec.name}\[0\]\.{field.name}: must be <="):
        from studio.doc.io import project_from_dict
        project_from_dict(data)


def test_every_keyed_track_is_drawn_in_its_lane_and_has_inspector_fields(qtbot):
    from studio.ui.inspector import Inspector
    from studio.ui.timeline.view import Timeline

    project = full_project()
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.set_project(project)
    inspector = Inspector()
    qtbot.addWidget(inspector)
    lane_names = [lane.name for lane in timeline.lanes]
    headers = {lane.name: item.toPlainText() for lane, item in timeline._headers}
    for spec in TRACKS:
        assert spec.lane in lane_names, spec.name
        assert LANE[spec.lane].label in headers[spec.lane], spec.name
        if not spec.keyed:
            continue
        refs = [r for r in key_refs(project) if r.track == spec.name]
        assert len(refs) == 2 * len(spec.plotted), spec.name
        lane = timeline._lane[spec.lane]
        for ref in refs:
            x, y = timeline._points[timeline._refs.index(ref)]
            assert lane.contains(y), (ref, y)
        inspector.show_key(project, [refs[0]])
        expected = {"t"} | {f.name for f in spec.fields if f.name != "source"}
        if spec.interpolated:
            expected.add("interp")
        assert set(inspector.fields) == expected, spec.name
        key = spec.items(project.tracks)[0]
        for name, widget in inspector.fields.items():
            if isinstance(widget, QComboBox):
                assert widget.currentText() == getattr(key, name), (spec.name, name)
            else:
                assert widget.value() == pytest.approx(getattr(key, name),
                                                       abs=10 ** -widget.decimals()), name


@pytest.mark.parametrize(("track", "field"), EDITABLE)
def test_a_key_is_added_and_edited_with_undo_on_every_editable_track(track, field):
    doc = Document(Project(duration=4.0))
    stack = QUndoStack()
    before = copy.deepcopy(doc.project)
    commands = [add_key_command(doc, track, field, 2.0)]  # kept: the stack does not own them
    stack.push(commands[0])
    assert len(TRACK[track].items(doc.project.tracks)) == 1
    ref = KeyRef(track, 0, field)
    spec = TRACK[track]
    numeric = [f for f in spec.fields if f.numeric]
    if numeric:
        target = numeric[0]
        current = getattr(spec.items(doc.project.tracks)[0], target.name)
        value = next(v for v in (_value(target, 0), _value(target, 1)) if v != current)
        commands.append(edit_key_command(doc, ref, **{target.name: value}))
        stack.push(commands[-1])
        assert getattr(spec.items(doc.project.tracks)[0], target.name) == value
        stack.undo()
    stack.undo()
    assert doc.project == before


def test_sampling_a_track_with_no_keys_gives_its_defaults():
    import numpy as np

    project = Project()
    times = np.linspace(0, 2, 5)
    for spec in TRACKS:
        if spec.kind not in ("curve", "keys"):
            continue
        values = sample_track(project.tracks, spec.name, times)
        for name in spec.plotted:
            default = spec.default if spec.kind == "curve" else spec.field_spec(name).default
            assert np.all(values[name] == default), (spec.name, name)


def test_an_edit_redraws_only_the_lanes_of_the_tracks_it_changed(qtbot, tmp_path):
    from qt_windows import close_window, fresh_settings, make_window

    window = make_window(qtbot, fresh_settings(tmp_path))
    try:
        window.session.set_document(Document(full_project()))
        qtbot.wait(50)
        redraws = window.timeline.lane_redraws
        redraws.clear()
        window.editing.push(edit_key_command(window.session.doc, KeyRef("head_yaw", 0), v=12.0))
        qtbot.wait(50)
        assert dict(redraws) == {"pose": 1}
        redraws.clear()
        window.session.undo_stack.undo()
        assert dict(redraws) == {"pose": 1}
        for spec in TRACKS:
            if spec.kind == "segments":
                continue
            redraws.clear()
            window.editing.push(add_key_command(window.session.doc, spec.name, spec.plotted[0], 5.0))
            lanes = {spec.lane} | ({"blinks"} if spec.name == "blink_rate" else set())
            assert set(redraws) <= lanes and redraws[spec.lane] >= 1, (spec.name, redraws)
        redraws.clear()
        window.editing.change_setting("fps", 30)  # the frame rate: every lane resampled
        assert set(redraws) == {lane.name for lane in window.timeline.lanes}
    finally:
        close_window(window)
