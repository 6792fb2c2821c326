"""Scenarios of the render queue (File > Add to Render Queue… and its panel), run as
tests/gui_scenarios.py runs its own (a child process each, input events on real widgets):

    python tests/gui_queue_scenarios.py NAME WORKDIR ANALYSIS.pickle
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QAbstractSpinBox, QDialogButtonBox, QMessageBox  # noqa: E402

from gui_driver import answer_soon  # noqa: E402
from gui_scenarios import Setting, main, scenario_group  # noqa: E402
from media_probe import decode_video  # noqa: E402
from studio.ui.timeline.keys import KeyRef  # noqa: E402

QUEUE, queue = scenario_group()  # run by this file only


def _add_job(person, out: Path, start: int, end: int) -> None:
    """File > Add to Render Queue…, the export dialog's fields typed, Add to Queue clicked."""
    w = person.window
    person.menu("File", "Add to Render Queue")
    dialog = w.render_queue.last_dialog
    person.wait_until(dialog.isVisible, 10, "the dialog")
    for box, text in ((dialog.path, str(out)), (dialog.width_box, "64"),
                      (dialog.height_box, "64"), (dialog.start, str(start)),
                      (dialog.end, str(end))):
        _type(person, box, text)
    button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    assert button.text() == "Add to Queue", button.text()
    if out.exists():
        answer_soon(QMessageBox.Yes)  # "… already exists. Replace it?"
    person.click(button)
    person.wait_until(lambda: not dialog.isVisible(), 10, "the dialog to close")


def _type(person, box, text: str) -> None:
    """Click into a field, select what is there, type (Enter would add the job at once)."""
    line = box.lineEdit() if isinstance(box, QAbstractSpinBox) else box
    person.click(line)
    QTest.keyClick(line, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(line, text)
    person.wait(20)


@queue
def queue_two_jobs_edit_cancel_one(setting: Setting) -> None:
    try:
        _two_jobs(setting)
    except BaseException:
        answer_soon(QMessageBox.Yes)  # closing asks before cancelling the jobs left
        raise


def _two_jobs(setting: Setting) -> None:
    """Two jobs added by the menu render one at a time while a key is edited; the first is
    cancelled by its button while it renders (no file left), the second finishes with its
    frames and offers Reveal."""
    person = setting.loaded()
    w = person.window
    w.resize(1400, 900)  # where the dock beside the inspector is narrow
    person.wait(200)
    q = w.render_queue
    long_out, short_out = setting.workdir / "long.mp4", setting.workdir / "short.mp4"
    last = w.project.frame_count() - 1
    _add_job(person, long_out, 0, last)
    _add_job(person, short_out, 0, 24)
    assert len(q.jobs) == 2, [(j.settings, j.state) for j in q.jobs]
    first, second = q.jobs
    assert w.queue_dock.isVisible()
    assert second.state == "queued", second.state
    assert [r.name.text() for r in w.queue_panel.rows] == ["long.mp4", "short.mp4"]
    # edit a key while they render: the jobs keep their snapshot
    before = first.project.tracks.head_yaw.keys[0].v
    person.click_key(KeyRef("head_yaw", 0))
    person.type_into(w.inspector.fields["v"], "21")
    assert w.project.tracks.head_yaw.keys[0].v == 21.0
    assert first.project.tracks.head_yaw.keys[0].v == before
    person.wait_until(lambda: first.state == "rendering", 30, "the first job to render")
    row = w.queue_panel.rows[0]
    person.wait_until(lambda: row.bar.value() > 0, 60, "the first job's progress")
    # the row fits the dock beside the inspector: Cancel whole inside the panel, nothing to
    # scroll sideways (at 1400x900 it was cut to "Cance" behind a scroll bar)
    inside = row.cancel.rect().translated(row.cancel.mapTo(w.queue_panel, QPoint(0, 0)))
    assert w.queue_panel.rect().contains(inside), (inside, w.queue_panel.rect())
    person.click(row.cancel)
    person.wait_until(lambda: first.state == "cancelled", 60, "the first job to cancel")
    assert row.state.text() == "cancelled" and not row.cancel.isVisible()
    assert not long_out.exists()
    person.wait_until(lambda: second.state in ("done", "failed"), 120, "the second job")
    assert second.state == "done", second.reason
    done_row = w.queue_panel.rows[1]
    assert done_row.state.text() == "done" and done_row.reveal.isVisible()
    assert not q.running
    opened = []
    from PySide6.QtGui import QDesktopServices
    QDesktopServices.openUrl = lambda url: opened.append(url.toLocalFile()) or True
    person.click(done_row.reveal)
    assert opened == [str(setting.workdir)], opened
    # no file manager on this desktop: the status bar says where the output is
    QDesktopServices.openUrl = lambda url: False
    person.click(done_row.reveal)
    assert str(setting.workdir) in w.statusBar().currentMessage(), w.statusBar().currentMessage()
    assert decode_video(short_out).shape == (25, 64, 64, 3)
    # closing with a job rendering asks first: No keeps the window and the job, Yes cancels it
    _add_job(person, long_out, 0, last)
    third = q.jobs[2]
    person.wait_until(lambda: third.state == "rendering", 30, "the third job to render")
    w.undo_stack.setClean()  # only the queue's question, not "Save changes?"
    texts = answer_soon(QMessageBox.No)
    person.press(Qt.Key_Q, Qt.ControlModifier)
    assert texts == ["A render job is not finished. Cancel it and close?"], texts
    assert w.isVisible() and third.state == "rendering", third.state
    texts = answer_soon(QMessageBox.Yes)
    person.press(Qt.Key_Q, Qt.ControlModifier)
    person.wait_until(lambda: not w.isVisible(), 30, "the window to close")
    assert texts and third.state == "cancelled", third.state
    assert not long_out.exists()


@queue
def the_same_render_queued_twice_is_two_jobs(setting: Setting) -> None:
    """Add the same render twice: each row follows its own job to "done" (the second row
    stayed at "100% rendering" when jobs were told apart by their settings)."""
    person = setting.loaded()
    w = person.window
    q = w.render_queue
    out = setting.workdir / "twice.mp4"
    _add_job(person, out, 0, 49)
    _add_job(person, out, 0, 49)
    assert len(q.jobs) == 2 and len(w.queue_panel.rows) == 2
    # opened beside the inspector, the queue takes about a third of the height
    share = w.queue_dock.height() / (w.queue_dock.height() + w.inspector_dock.height())
    assert 0.25 <= share <= 0.42, share
    person.wait_until(lambda: all(j.state == "done" for j in q.jobs), 120, "both jobs")
    person.wait(100)
    assert [r.state.text() for r in w.queue_panel.rows] == ["done", "done"]
    assert not any(r.cancel.isVisible() for r in w.queue_panel.rows)
    assert decode_video(out).shape == (50, 64, 64, 3)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], QUEUE))
