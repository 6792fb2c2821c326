"""Scenarios of a person using the studio, each run in a child process of its own.

    python tests/gui_scenarios.py NAME WORKDIR ANALYSIS.pickle

runs one scenario in a fresh window and prints "scenario passed" at the end; a failed check is a
traceback and exit status 1, a crash of Qt a signal. tests/test_gui_scenarios.py runs them all.
Every step is an input event on a real widget (tests/gui_driver.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from gui_driver import Person, load_analysis, open_analysed  # noqa: E402
from studio.ui.timeline.keys import KeyRef  # noqa: E402

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@dataclass
class Setting:
    workdir: Path
    analysed: tuple
    settings: QSettings


# ---- the inspector -----------------------------------------------------------------------
@scenario
def inspector_typing_and_arrows(person: Person, setting: Setting) -> None:
    """Type into every field of a selected key and press Enter, click every arrow: no crash,
    each edit lands in the project as one undo step."""
    w = person.window
    open_analysed(w, setting.analysed)
    person.click_key(KeyRef("head_yaw", 1))
    assert w.timeline.selected() == [KeyRef("head_yaw", 1)], w.timeline.selected()
    person.wait_until(lambda: "v" in w.inspector.fields, 5, "the key's fields")
    person.type_into(w.inspector.fields["v"], "12.5")
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].v == 12.5
    person.click_arrow(w.inspector.fields["v"], up=True)
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].v == 13.0
    person.click_arrow(w.inspector.fields["v"], up=False)
    person.click_arrow(w.inspector.fields["v"], up=False)
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].v == 12.0
    person.type_into(w.inspector.fields["t"], "1.5")
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].t == 1.5
    person.click_arrow(w.inspector.fields["t"], up=True)
    person.wait(300)
    assert abs(w.project.tracks.head_yaw.keys[1].t - 1.54) < 1e-9
    assert w.undo_stack.count() == 6, w.undo_stack.count()
    person.press(Qt.Key_Z, Qt.ControlModifier)  # focus is still in the inspector
    person.wait(100)
    assert w.project.tracks.head_yaw.keys[1].t == 1.5


def main(argv: list[str]) -> int:
    name, workdir, analysis = argv[0], Path(argv[1]), Path(argv[2])
    from qt_windows import fresh_settings
    from studio.ui.app import make_application
    from studio.ui.main_window import MainWindow

    make_application()
    settings = fresh_settings(workdir)
    window = MainWindow(settings)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowExposed(window)
    person = Person(window)
    try:
        SCENARIOS[name](person, Setting(workdir, load_analysis(analysis), settings))
    finally:
        window.undo_stack.setClean()
        window.close()
    print("scenario passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
