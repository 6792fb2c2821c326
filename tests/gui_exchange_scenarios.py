"""Scenarios of File > Export Cues and Motion… and File > Import Cues or Capture…, run as
tests/gui_scenarios.py runs its own (a child process each, input events on real widgets):

    python tests/gui_exchange_scenarios.py NAME WORKDIR ANALYSIS.pickle
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from gui_scenarios import Setting, main, scenario_group  # noqa: E402
from studio.exchange import livelink, rhubarb  # noqa: E402

EXCHANGE, exchange = scenario_group()  # run by this file only


def _choose(path: Path):
    return lambda *_a, **_k: (str(path), "")


@exchange
def export_cues_and_capture_then_import_and_undo(setting: Setting) -> None:
    """Export the mouth cues and the blendshapes by the File menu; import a capture with the
    playhead one second in: the head pose follows the take from there; Ctrl+Z takes the whole
    import back, Ctrl+Shift+Z brings it again. The artist's key before the take stays."""
    person = setting.loaded()
    w = person.window
    cues, take = setting.workdir / "talk.tsv", setting.workdir / "take.csv"
    for path in (cues, take):
        QFileDialog.getSaveFileName = _choose(path)
        person.menu("File", "Export Cues and Motion")
        assert path.is_file(), path
    parsed = rhubarb.parse_tsv(cues.read_text())
    assert parsed[0].start == 0 and len(parsed) > 50
    # a take whose head turns 0.2 rad (11.46°) to the right and back
    header, *rows = take.read_text().splitlines()
    col = header.split(",").index("HeadYaw")
    turned = []
    for i, row in enumerate(rows[:50]):
        cells = row.split(",")
        cells[col] = f"{0.2 * np.sin(np.pi * i / 49):.6f}"
        turned.append(",".join(cells))
    take.write_text("\n".join([header, *turned]) + "\n")
    before = list(w.project.tracks.head_yaw.keys)
    person.press(Qt.Key_Right, Qt.ShiftModifier)  # the playhead one second in
    assert w.session.frame == 25
    QFileDialog.getOpenFileName = _choose(take)
    person.menu("File", "Import Cues or Capture")
    keys = w.project.tracks.head_yaw.keys
    taken = [k for k in keys if k.t >= 1.0]
    # the artist's key at 0 s, before the take, stays; the one at 2 s, inside it, is replaced
    assert [k.t for k in keys if k.t < 1.0] == [0.0], keys
    assert taken[0].t == 1.0 and taken[-1].t == 1.0 + 49 / 25, keys
    top = max(taken, key=lambda k: k.v)
    assert abs(top.v - np.degrees(0.2)) < 0.3 and 3 <= len(taken) < 25, keys
    assert all(k.head_motion == 0 for k in w.project.tracks.style)
    assert w.project.tracks.blink_rate.default == 0
    person.press(Qt.Key_Z, Qt.ControlModifier)
    assert w.project.tracks.head_yaw.keys == before
    assert w.project.tracks.blink_rate.default != 0
    person.press(Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.project.tracks.head_yaw.keys == keys


@exchange
def import_rhubarb_cues_as_overrides(setting: Setting) -> None:
    """Rhubarb cues chosen by File > Import become the artist's visemes; a bad file is
    refused in a dialog naming its line, and the project is unchanged."""
    person = setting.loaded()
    w = person.window
    cues = setting.workdir / "hi.tsv"
    cues.write_text("0.00\tX\n0.50\tD\n0.80\tA\n0.90\tF\n1.20\tX\n1.50\tX\n")
    QFileDialog.getOpenFileName = _choose(cues)
    person.menu("File", "Import Cues or Capture")
    user = [s for s in w.project.tracks.visemes if s.source == "user"]
    assert [(s.start, s.end, s.viseme) for s in user] == [
        (0.0, 0.5, "rest"), (0.5, 0.8, "AI"), (0.8, 0.9, "MBP"), (0.9, 1.2, "WQ"),
        (1.2, 1.5, "rest")]
    before = w.project
    bad = setting.workdir / "bad.tsv"
    bad.write_text("0.00\tQ\n")
    QFileDialog.getOpenFileName = _choose(bad)
    w.notices.error_box = None
    person.menu("File", "Import Cues or Capture")
    box = w.notices.error_box
    person.wait_until(lambda: box is not None and box.isVisible(), 10, "a dialog")
    assert "bad.tsv: line 1" in box.text(), box.text()
    assert box.text().count("bad.tsv") == 1, box.text()  # named once, not "bad.tsv: bad.tsv:"
    person.click(box.button(QMessageBox.Ok))
    assert w.project == before


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], EXCHANGE))
