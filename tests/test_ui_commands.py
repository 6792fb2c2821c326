"""Undo commands on a bare QUndoStack, no widgets: every gesture is one step, undo restores."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtGui import QUndoStack

from studio.doc.document import Document
from studio.doc.project import Blink, EmotionKey, Key, Project, StyleKey
from studio.ui.commands import (
    SetSettingCommand, add_key_command, delete_keys_command, edit_key_command,
    interpolation_command, move_keys,
)
from studio.ui.timeline.keys import KeyMove, KeyRef, key_refs


@pytest.fixture
def doc():
    project = Project(duration=4.0)
    project.tracks.head_yaw.keys = [Key(0.0, 0.0), Key(1.0, 10.0), Key(2.0, -5.0)]
    project.tracks.blinks = [Blink(1.5)]
    project.tracks.emotion = [EmotionKey(0.0, "happy", 0.4)]
    project.tracks.style = [StyleKey(0.0)]
    return Document(project)


def test_move_past_a_neighbour_is_one_undo_step(doc):
    stack = QUndoStack()
    original = copy.deepcopy(doc.project)
    seen = []
    doc.events.connect(seen.append)
    command = move_keys(doc, [KeyMove(KeyRef("head_yaw", 1), 2.4, 20.0),
                              KeyMove(KeyRef("blinks", 0, "t"), 0.4, 0.0)])
    stack.push(command)
    assert [(k.t, k.v) for k in doc.project.tracks.head_yaw.keys] == [
        (0.0, 0.0), (2.0, -5.0), (2.4, 20.0)]
    assert command.selection == [KeyRef("head_yaw", 2), KeyRef("blinks", 0, "t")]
    assert doc.project.tracks.blinks[0].t == 0.4
    assert {"head_yaw", "blinks"} <= set().union(*seen)
    assert stack.count() == 1
    stack.undo()
    assert doc.project == original
    stack.redo()
    assert doc.project.tracks.head_yaw.keys[2].v == 20.0


def test_add_delete_interpolation_and_settings_round_trip(doc):
    stack = QUndoStack()
    original = copy.deepcopy(doc.project)
    stack.push(add_key_command(doc, "head_pitch", "v", 1.0, 7.5))
    stack.push(add_key_command(doc, "blinks", "t", 3.0))
    stack.push(add_key_command(doc, "style", "lip_amplitude", 2.0, 1.6))
    # a key added without a value takes the curve's value there, so the curve does not jump
    stack.push(add_key_command(doc, "head_yaw", "v", 0.5))
    assert 0.0 < doc.project.tracks.head_yaw.keys[1].v <= 10.0
    assert doc.project.tracks.style[1].lip_amplitude == 1.6
    assert [b.t for b in doc.project.tracks.blinks] == [1.5, 3.0]
    stack.push(interpolation_command(doc, [KeyRef("head_yaw", 0)], "step"))
    assert doc.project.tracks.head_yaw.keys[0].interp == "step"
    stack.push(delete_keys_command(doc, [KeyRef("head_yaw", 2), KeyRef("blinks", 0, "t")]))
    assert [b.t for b in doc.project.tracks.blinks] == [3.0]
    stack.push(edit_key_command(doc, KeyRef("emotion", 0, "intensity"), emotion="sad",
                                intensity=0.9))
    stack.push(SetSettingCommand(doc, "fps", 30))
    assert doc.project.fps == 30 and doc.project.tracks.emotion[0].emotion == "sad"
    assert stack.count() == 8
    while stack.canUndo():
        stack.undo()
    assert doc.project == original


def test_no_op_gestures_make_no_command(doc):
    assert move_keys(doc, [KeyMove(KeyRef("head_yaw", 1), 1.0, 10.0)]) is None
    assert interpolation_command(doc, [KeyRef("head_yaw", 0)], "smooth") is None
    assert len(key_refs(doc.project)) == 3 + 1 + 1 + 3
