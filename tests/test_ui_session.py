"""The studio's session without a window: changes reported once per step, another document
starts afresh, the playhead stays inside the clip."""

from __future__ import annotations

from studio.doc.document import Document
from studio.doc.project import Key, Project
from studio.ui.commands import SetSettingCommand, add_key_command
from studio.ui.session import Session


def test_a_step_of_several_commands_is_reported_once_with_all_its_parts(qtbot):
    session = Session()
    seen: list[frozenset] = []
    session.changed.connect(seen.append)
    with session.batched("Two edits"):
        session.undo_stack.push(SetSettingCommand(session.doc, "seed", 7))
        session.undo_stack.push(add_key_command(session.doc, "head_yaw", "v", 1.0, 5.0))
        assert seen == []  # nothing is reported before the step is complete
    assert len(seen) == 1 and {"settings", "head_yaw"} <= seen[0]
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()  # the macro's undo: each command announces, reported once
    assert len(seen) == 2 and seen[1] == seen[0]
    assert session.project.seed != 7 and not session.project.tracks.head_yaw.keys


def test_another_document_starts_with_an_empty_history_at_the_first_frame(qtbot):
    session = Session()
    old = session.doc
    session.undo_stack.push(SetSettingCommand(old, "seed", 3))
    session.frame = 20
    replaced, changed = [], []
    session.replaced.connect(lambda: replaced.append(session.doc))
    session.changed.connect(changed.append)
    project = Project(duration=2.0)
    project.tracks.head_yaw.keys = [Key(0.0, 0.0)]
    session.set_document(Document(project))
    assert replaced == [session.doc] and session.doc is not old
    assert session.undo_stack.count() == 0 and session.undo_stack.isClean()
    assert session.frame == 0
    old.set_setting("seed", 4)  # the old document is no longer listened to
    assert changed == []


def test_the_playhead_stays_inside_a_shortened_clip_and_analyses_report_media(qtbot):
    session = Session()
    session.undo_stack.push(SetSettingCommand(session.doc, "duration", 4.0))
    session.frame = session.project.frame_count() - 1
    session.undo_stack.push(SetSettingCommand(session.doc, "duration", 1.0))
    assert session.frame == session.project.frame_count() - 1
    seen: list[frozenset] = []
    session.changed.connect(seen.append)
    session.analysis_changed()
    assert seen == [frozenset({"media"})]
    assert session.rig() is None and session.analysis() is None
