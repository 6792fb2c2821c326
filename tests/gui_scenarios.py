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

import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

from PySide6.QtCore import QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication, QDialogButtonBox, QFileDialog, QMessageBox, QPushButton,
)

from gui_driver import Person, answer_soon, load_analysis, open_analysed  # noqa: E402
from studio.doc.project import STYLE_FIELDS  # noqa: E402
from studio.ui.timeline.keys import KeyRef, key_refs  # noqa: E402
from studio.render.registry import settings_of

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def scenario_group():
    """(scenarios, decorator) for a file of scenarios of its own (the queue's, the exchange's,
    the diffusion renderer's): the decorator fills the dict, which that file hands to main."""
    group: dict = {}

    def register(fn):
        group[fn.__name__] = fn
        return fn

    return group, register


@dataclass
class Setting:
    workdir: Path
    analysed: tuple
    settings: QSettings
    windows: list

    def start(self, project: Path | None = None) -> Person:
        """The studio as `studio gui [PROJECT]` opens it, in this scenario's settings."""
        from studio.ui.app import open_studio

        window, _ = open_studio(project, self.settings)
        self.windows.append(window)
        window.activateWindow()
        QTest.qWaitForWindowExposed(window)
        return Person(window)

    def loaded(self, **keys) -> Person:
        """A window on the sample project (analysis cached), with head-yaw keys at 0 s and 2 s."""
        person = self.start()
        open_analysed(person.window, self.analysed, **keys)
        return person


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- the inspector -----------------------------------------------------------------------
@scenario
def inspector_typing_and_arrows(setting: Setting) -> None:
    """Type into every field of a selected key and press Enter, click every arrow: no crash,
    each edit lands in the project as one undo step."""
    person = setting.loaded()
    w = person.window
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
    # a number beyond the field's range goes to its limit (Qt's box dropped the keystroke
    # past the limit: 999 became 9, a time of 50 s became 5 s)
    low, high = w.inspector.fields["v"].minimum(), w.inspector.fields["v"].maximum()
    person.type_into(w.inspector.fields["v"], "999")
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].v == high, w.project.tracks.head_yaw.keys
    person.type_into(w.inspector.fields["v"], "-999")
    person.wait(300)
    assert w.project.tracks.head_yaw.keys[1].v == low, w.project.tracks.head_yaw.keys
    person.type_into(w.inspector.fields["t"], "5000")
    person.wait(300)
    end = w.inspector.fields["t"].maximum()
    assert end > 5.0 and w.project.tracks.head_yaw.keys[1].t == end, w.project.tracks.head_yaw
    # a field emptied, or left at a lone minus sign: the value it had comes back (it became
    # the in-range value nearest to zero: the minimum of a width, 0 of a yaw)
    edits = w.undo_stack.count()
    for typed in ("", "-"):
        person.type_into(w.inspector.fields["v"], typed)
        person.wait(300)
        assert w.project.tracks.head_yaw.keys[1].v == low, (typed, w.project.tracks.head_yaw)
        assert w.inspector.fields["v"].value() == low
    person.type_into(w.inspector.fields["v"], "7")
    person.wait(300)
    for typed in ("", "-"):
        person.type_into(w.inspector.fields["v"], typed)
        person.wait(300)
        assert w.project.tracks.head_yaw.keys[1].v == 7.0, (typed, w.project.tracks.head_yaw)
    assert w.undo_stack.count() == edits + 1  # only the 7


@scenario
def inspector_every_key_kind(setting: Setting) -> None:
    """Keys of every lane made by double-click, selected by a click, every numeric field typed
    into and every arrow clicked."""
    person = setting.loaded(yaw_keys=())
    w = person.window
    rate = w.project.tracks.blink_rate.default
    made = [("emotion", 3.0, None), ("gaze", 4.0, 0.0), ("blinks", 5.0, rate), ("style", 6.0, 1.0),
            ("blinks", 7.0, 50.0)]
    for lane, t, v in made:
        person.double_click(person.lanes, person.lane_pos(t, lane, v))
        person.wait(100)
    tracks = w.project.tracks
    assert [k.t for k in tracks.emotion] == [3.0] and [k.t for k in tracks.gaze] == [4.0]
    assert [k.t for k in tracks.blink_rate.keys] == [5.0] and [k.t for k in tracks.style] == [6.0]
    assert 7.0 in [b.t for b in tracks.blinks if b.source == "user"]
    typed = {}
    for ref in key_refs(w.project):
        if ref.track == "blinks" and w.project.tracks.blinks[ref.index].source == "auto":
            continue
        person.click_key(ref)
        assert w.timeline.selected()[-1].track == ref.track, (ref, w.timeline.selected())
        person.wait(50)
        for name in [n for n in w.inspector.fields if n not in ("t", "interp", "emotion")]:
            box = w.inspector.fields[name]
            value = round(box.minimum() + 0.3 * (box.maximum() - box.minimum()), 1)
            person.type_into(box, f"{value}")
            person.wait(100)
            person.click_arrow(w.inspector.fields[name], up=True)
            person.wait(100)
            person.click_arrow(w.inspector.fields[name], up=False)
            person.wait(100)
            typed[(ref.track, name)] = value
    tracks = w.project.tracks
    user_blink = next(b for b in tracks.blinks if b.source == "user")
    found = {("emotion", "intensity"): tracks.emotion[0].intensity,
             ("gaze", "yaw"): tracks.gaze[0].yaw, ("gaze", "pitch"): tracks.gaze[0].pitch,
             ("blink_rate", "v"): tracks.blink_rate.keys[0].v,
             ("blinks", "duration"): user_blink.duration,
             **{("style", n): getattr(tracks.style[0], n) for n in STYLE_FIELDS}}
    assert set(typed) == set(found), (typed, found)
    for field, value in typed.items():
        assert abs(found[field] - value) < 1e-6, (field, found[field], value)


# ---- the timeline ------------------------------------------------------------------------
@scenario
def click_drag_box_delete(setting: Setting) -> None:
    """Click-select, drag, box-select and delete keys; a key under the playhead drags too."""
    person = setting.loaded()
    w = person.window
    person.click_key(KeyRef("head_yaw", 0))
    assert w.timeline.selected() == [KeyRef("head_yaw", 0)]
    person.click_key(KeyRef("head_yaw", 1), Qt.ControlModifier)
    assert set(w.timeline.selected()) == {KeyRef("head_yaw", 0), KeyRef("head_yaw", 1)}
    person.click(person.lanes, person.lane_pos(6.0, "emotion"))  # empty space: none selected
    assert w.timeline.selected() == []
    # the playhead onto the key at 2 s (frame 50): Shift+Right twice
    person.press(Qt.Key_Home)
    person.press(Qt.Key_Right, Qt.ShiftModifier)
    person.press(Qt.Key_Right, Qt.ShiftModifier)
    assert w.frame == 50, w.frame
    start = QPointF(person.key_pos(KeyRef("head_yaw", 1)))
    person.drag(person.lanes, start, start + QPointF(0, -50), Qt.ShiftModifier)
    assert w.project.tracks.head_yaw.keys[1].v > 5.0, w.project.tracks.head_yaw.keys
    assert w.project.tracks.head_yaw.keys[1].t == 2.0
    assert w.undo_stack.count() == 1
    # a box around both keys, Delete
    a = QPointF(person.key_pos(KeyRef("head_yaw", 0)))
    b = QPointF(person.key_pos(KeyRef("head_yaw", 1)))
    top, bottom = min(a.y(), b.y()) - 8, max(a.y(), b.y()) + 8
    person.drag(person.lanes, QPointF(a.x() - 6, top), QPointF(b.x() + 6, bottom))
    assert set(w.timeline.selected()) == {KeyRef("head_yaw", 0), KeyRef("head_yaw", 1)}, (
        w.timeline.selected(), a, b, person.key_pos(KeyRef("head_yaw", 0)),
        person.key_pos(KeyRef("head_yaw", 1)), w.frame, w.project.tracks.head_yaw.keys,
        w.timeline.view.horizontalScrollBar().value(), w.timeline.view.verticalScrollBar().value())
    person.press(Qt.Key_Delete)
    assert w.project.tracks.head_yaw.keys == []
    person.press(Qt.Key_Z, Qt.ControlModifier)
    assert len(w.project.tracks.head_yaw.keys) == 2


@scenario
def double_click_keys_the_curve_where_it_is(setting: Setting) -> None:
    """A double-click low in the head-pose lane adds a key at the curve's value, not -28°."""
    person = setting.loaded(yaw_keys=((0.0, 4.0), (2.0, 4.0)))
    w = person.window
    person.double_click(person.lanes, person.lane_pos(1.0, "pose", -27.0))
    keys = w.project.tracks.head_yaw.keys + w.project.tracks.head_pitch.keys + \
        w.project.tracks.head_roll.keys
    added = [k for k in keys if k.t == 1.0]
    assert len(added) == 1 and abs(added[0].v) <= 4.0 + 1e-9, keys


@scenario
def undo_and_redo_every_way(setting: Setting) -> None:
    """Edit > Undo and Redo by menu, Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y."""
    person = setting.loaded()
    w = person.window
    yaw = w.project.tracks.head_yaw
    person.double_click(person.lanes, person.lane_pos(1.0, "pose", 0.0))
    assert len(yaw.keys) == 3
    person.menu("Edit", "Undo")
    assert len(w.project.tracks.head_yaw.keys) == 2
    person.menu("Edit", "Redo")
    assert len(w.project.tracks.head_yaw.keys) == 3
    for redo in ((Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier), (Qt.Key_Y, Qt.ControlModifier)):
        person.press(Qt.Key_Z, Qt.ControlModifier)
        assert len(w.project.tracks.head_yaw.keys) == 2
        person.press(*redo)
        assert len(w.project.tracks.head_yaw.keys) == 3, redo


@scenario
def every_shortcut_triggers_its_action_once(setting: Setting) -> None:
    """Each key of every action, pressed where the focus happens to be: its action fires once
    (a key bound twice is ambiguous in Qt and fires nothing; a theme may bind none)."""
    person = setting.loaded()
    w = person.window
    a = w.actions_by_name
    QFileDialog.getOpenFileName = lambda *args, **kw: ("", "")  # the file choosers: cancelled
    QFileDialog.getSaveFileName = lambda *args, **kw: ("", "")
    fired: dict[str, int] = {name: 0 for name in a}
    for name, action in a.items():
        action.triggered.connect(lambda *_, n=name: fired.__setitem__(n, fired[n] + 1))

    def before(name: str) -> None:
        """Put the studio where the action can run (an enabled action, a dialog answered)."""
        if name == "delete":
            person.press(Qt.Key_K)  # a key to select (the last Delete may have taken them all)
            person.press(Qt.Key_A, Qt.ControlModifier)
        elif name == "redo":
            person.press(Qt.Key_Z, Qt.ControlModifier)
        elif name in ("open", "new", "quit"):  # "Save changes to Untitled?"
            answer_soon(QMessageBox.Discard)

    def after(name: str) -> None:
        if w.playback.playing:
            w.playback.stop()
        if name == "export":
            w.last_export_dialog.reject()
        elif name == "shortcuts":
            w.help_box.close()

    order = ["play", "reverse", "stop_or_key", "forward", "prev", "next", "prev10", "next10",
             "start", "end", "undo", "redo", "select_all", "delete", "fit", "zoom_in",
             "zoom_out", "shortcuts", "export", "open", "save", "save_as", "new", "quit"]
    keyed = {name for name, action in a.items() if action.shortcuts()}
    assert keyed == set(order), f"give these a place in the order: {keyed ^ set(order)}"
    person.press(Qt.Key_End)
    person.press(Qt.Key_K)  # a key at the playhead: something to undo, redo and delete
    assert w.undo_stack.count() == 1
    fired.update(end=0, stop_or_key=0)
    for name in order:
        for sequence in a[name].shortcuts():
            before(name)
            count = fired[name]
            combination = sequence[0]
            person.press(combination.key(), combination.keyboardModifiers())
            person.wait(50)
            assert fired[name] == count + 1, (name, sequence.toString(), fired[name] - count)
            if name != "quit":
                after(name)
    person.wait_until(lambda: not w.isVisible(), 10, "the window to close on Ctrl+Q")


@scenario
def commands_work_while_a_number_field_has_the_focus(setting: Setting) -> None:
    """Ctrl+E, Ctrl+S and F1 with the keyboard in an inspector field (a line edit on Linux
    took Ctrl+E as "end of line", so Export did nothing until the timeline was clicked)."""
    person = setting.loaded()
    w = person.window
    QFileDialog.getSaveFileName = lambda *args, **kw: ("", "")  # Save As: cancelled
    fired: list[str] = []
    for name in ("export", "save", "shortcuts"):
        w.actions_by_name[name].triggered.connect(lambda *_, n=name: fired.append(n))
    person.click_key(KeyRef("head_yaw", 0))
    field = w.inspector.fields["v"]
    for name, key, modifiers in (("export", Qt.Key_E, Qt.ControlModifier),
                                 ("save", Qt.Key_S, Qt.ControlModifier),
                                 ("shortcuts", Qt.Key_F1, Qt.NoModifier)):
        person.click(field.lineEdit())
        assert QApplication.focusWidget() in (field, field.lineEdit()), QApplication.focusWidget()
        person.press(key, modifiers)
        person.wait(50)
        assert fired[-1:] == [name], (name, fired)
        if name == "export":
            assert w.last_export_dialog.isVisible()
            w.last_export_dialog.reject()
        elif name == "shortcuts":
            w.help_box.close()
        person.wait(50)
        if QApplication.activeWindow() is None:  # a desktop's window manager gives it back
            w.activateWindow()
            QTest.qWaitForWindowActive(w)


@scenario
def every_menu_entry_without_a_key(setting: Setting) -> None:
    """The menu entries that have no key, chosen with the mouse through their menus."""
    person = setting.loaded()
    w = person.window
    QFileDialog.getOpenFileName = lambda *args, **kw: ("", "")
    QFileDialog.getSaveFileName = lambda *args, **kw: ("", "")
    for overlay in ("Face Mesh Overlay", "Original Side by Side", "Safe Frame"):
        person.menu("View", "Overlays", overlay)
    a = w.actions_by_name
    assert all(a[f"overlay_{n}"].isChecked() for n in ("landmarks", "original", "safe_frame"))
    person.settle()
    assert w.viewport.landmarks is not None
    person.menu("View", "Panels", "Media")
    assert not w.media_dock.isVisible()
    person.menu("View", "Panels", "Media")
    assert w.media_dock.isVisible()
    person.menu("File", "Load Style Preset…")  # cancelled in the chooser: nothing changes
    person.menu("File", "Save Style Preset…")
    assert w.undo_stack.count() == 0
    texts = answer_soon(QMessageBox.Ok)
    person.menu("Help", "About")
    person.wait_until(lambda: texts, 10, "the About box")
    person.menu("File", "Open Sample Project")
    person.wait_until(lambda: w.project.portrait is not None and w.doc.path is None, 30,
                      "the sample")
    assert "Untitled" in w.windowTitle()


# ---- focus and transport -----------------------------------------------------------------
@scenario
def transport_keys_wherever_the_focus_is(setting: Setting) -> None:
    """After "Choose voice clip…" Space plays instead of pressing the button again; arrows step
    from a combo box; in a text field they stay with the text."""
    person = setting.loaded()
    w = person.window
    speech = Path(w.project.audio)
    chosen = []

    def choose(*_args, **_kwargs):
        chosen.append(1)
        return str(speech), ""

    QFileDialog.getOpenFileName = choose  # the desktop's file chooser, answered
    button = next(b for b in w.media_panel.findChildren(QPushButton) if "voice" in b.text())
    person.click(button)
    assert chosen == [1]
    person.wait(200)
    button.setFocus()
    person.press(Qt.Key_Space)
    assert chosen == [1], "Space pressed the button again"
    assert w.playback.playing
    person.press(Qt.Key_Space)
    assert not w.playback.playing
    person.press(Qt.Key_Home)
    w.inspector.renderer.setFocus()
    person.press(Qt.Key_Right)
    assert w.frame == 1 and w.project.render.renderer == "mesh"
    w.inspector.seed_box.setFocus()
    person.press(Qt.Key_Right)
    assert w.frame == 1  # the arrow moved the text cursor


@scenario
def file_choosers_open_where_the_user_last_was(setting: Setting) -> None:
    person = setting.loaded()
    w = person.window
    speech = Path(w.project.audio)
    started: list[str] = []

    def chooser(answer):
        def ask(_parent, _title, folder, *_rest, **_kw):
            started.append(str(Path(folder)))
            return answer, ""
        return ask

    QFileDialog.getOpenFileName = chooser(str(speech))
    button = next(b for b in w.media_panel.findChildren(QPushButton) if "voice" in b.text())
    person.click(button)
    person.click(button)
    assert started[1] == str(speech.parent), started
    project = setting.workdir / "keep" / "talk.json"
    project.parent.mkdir()
    QFileDialog.getSaveFileName = chooser(str(project))
    person.press(Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    assert project.is_file()
    QFileDialog.getOpenFileName = chooser("")  # cancelled
    person.press(Qt.Key_O, Qt.ControlModifier)
    assert started[-1] == str(project.parent), started


@scenario
def opened_project_without_weights_points_at_the_inspector(setting: Setting) -> None:
    """A project file naming an SD1.5 preset and no models folder: the preview's refusal says
    where in the studio to choose the folder, not the command line's flag."""
    import copy
    from studio.doc.io import save_project

    os.environ.pop("STUDIO_MODELS", None)
    project = copy.deepcopy(setting.analysed[2])
    project.render.renderer = "diffusion"
    project.render.options["diffusion"] = {"model": "sd15-mediapipe-face-lcm"}
    path = setting.workdir / "sd15.json"
    save_project(project, path)
    person = setting.start(path)
    w = person.window
    person.wait_until(lambda: w.error_box is not None and w.error_box.isVisible(), 120,
                      "the preview's refusal")
    message = w.error_box.text()
    assert "needs a models folder" in message, message
    assert "Models folder > Choose… in the inspector" in message, message
    assert "--models" not in message and "STUDIO_MODELS" not in message, message


# ---- settings ----------------------------------------------------------------------------
@scenario
def settings_while_playing(setting: Setting) -> None:
    """Every render setting of the inspector changed by typing and arrows while the clip plays."""
    os.environ.pop("STUDIO_MODELS", None)  # the SD1.5 preset must find no weights
    person = setting.loaded()
    w = person.window
    inspector = w.inspector
    person.press(Qt.Key_Space)
    assert w.playback.playing
    for box, text, attr in ((inspector.width_box, "320", "width"),
                            (inspector.height_box, "256", "height"),
                            (inspector.seed_box, "42", "seed"),
                            (inspector.fps_box, "30", "fps")):
        person.type_into(box, text)
        person.wait(200)
        assert getattr(w.project, attr) == int(text), (attr, getattr(w.project, attr))
        person.click_arrow(box, up=True)
        person.wait(200)
    assert (w.project.width, w.project.height, w.project.seed, w.project.fps) == (336, 272, 43, 31)
    for preset in ("calm", "energetic", "whisper", "exaggerated", "neutral"):
        person.choose(inspector.preset, preset)
        person.wait(200)
        assert w.project.style_preset == preset
    person.settle()
    assert w.viewport.frame_array.shape[:2] == (272, 336), w.viewport.frame_array.shape
    # the diffusion settings (the tiny test-pattern model renders on the CPU)
    person.choose(inspector.renderer, "diffusion")
    # the built-in model's frames are a test pattern: the status bar says so, and where to go
    said = w.statusBar().currentMessage()
    assert "test pattern" in said and "Help > Diffusion Models" in said, said
    person.wait_until(lambda: not w.preview._refining, 60, "a diffusion frame")  # still said
    assert "test pattern" in w.statusBar().currentMessage(), w.statusBar().currentMessage()
    group = inspector.renderer_forms["diffusion"]
    assert w.project.render.renderer == "diffusion" and group.isEnabled()
    fields = group.fields
    person.type_into(fields["steps"], "3")
    person.click_arrow(fields["steps"], up=True)
    person.type_into(fields["strength"], "0.6")
    person.click_arrow(fields["strength"], up=False)
    person.click(fields["cache"])
    person.choose(fields["device"], "cpu")
    diffusion = settings_of(w.project.render)
    assert (diffusion["steps"], diffusion["strength"], diffusion["device"]) == (4, 0.55, "cpu"), \
        diffusion
    assert diffusion["cache"] is False
    w.error_box = None
    person.choose(fields["model"], "sd15-mediapipe-face-lcm")  # no weights: refused
    person.wait_until(lambda: w.error_box is not None, 30, "the refusal")
    person.click(w.error_box.button(QMessageBox.Ok))
    assert settings_of(w.project.render)["model"] == "tiny"
    person.choose(inspector.renderer, "mesh")
    assert "test pattern" not in w.statusBar().currentMessage()  # said of diffusion only
    assert w.project.render.renderer == "mesh"
    person.press(Qt.Key_Space)


@scenario
def style_preset_keeps_the_blink_rate_keys(setting: Setting) -> None:
    person = setting.loaded()
    w = person.window
    rate = w.project.tracks.blink_rate.default
    person.double_click(person.lanes, person.lane_pos(3.0, "blinks", rate))
    keys = list(w.project.tracks.blink_rate.keys)
    assert [k.t for k in keys] == [3.0], keys
    person.choose(w.inspector.preset, "energetic")
    person.wait(100)
    assert w.project.style_preset == "energetic"
    assert w.project.tracks.blink_rate.keys == keys


# ---- autosave, bad input, layout -----------------------------------------------------------
@scenario
def autosave_shortly_after_an_edit(setting: Setting) -> None:
    person = setting.loaded()
    w = person.window
    project = setting.workdir / "talk.json"
    w.save_to(project)
    person.click_key(KeyRef("head_yaw", 1))
    person.type_into(w.inspector.fields["v"], "21")
    sidecar = project.with_name("talk.autosave.json")
    began = time.monotonic()
    person.wait_until(sidecar.is_file, 10, "the autosave")
    assert time.monotonic() - began < 6
    from studio.doc.io import load_project
    assert load_project(sidecar).tracks.head_yaw.keys[1].v == 21.0


@scenario
def bad_files_dropped_and_chosen(setting: Setting) -> None:
    person = setting.loaded()
    w = person.window
    before = w.project
    fake = setting.workdir / "notes.jpg"
    fake.write_text("not a picture")
    drop_files(w, fake)
    person.wait_until(lambda: w.error_box is not None and w.error_box.isVisible(), 30, "a dialog")
    assert "notes.jpg" in w.error_box.text(), w.error_box.text()
    person.click(w.error_box.button(QMessageBox.Ok))
    empty = setting.workdir / "silence.wav"
    empty.write_bytes(b"")
    QFileDialog.getOpenFileName = lambda *a, **k: (str(empty), "")
    w.error_box = None
    button = next(b for b in w.media_panel.findChildren(QPushButton) if "voice" in b.text())
    person.click(button)
    person.wait_until(lambda: w.error_box is not None and w.error_box.isVisible(), 30, "a dialog")
    assert "silence.wav" in w.error_box.text(), w.error_box.text()
    assert w.project == before


@scenario
def small_and_large_windows(setting: Setting) -> None:
    """At its smallest the window's panels do not overlap and the lanes stay readable; grown
    again, the lanes grow back."""
    person = setting.loaded()
    w = person.window
    for width, height in ((800, 560), (640, 400), (1920, 1080), (1024, 700)):
        w.resize(width, height)
        person.wait(300)
        assert w.width() >= w.minimumWidth() and w.height() >= w.minimumHeight()
        docks = [d for d in (w.media_dock, w.timeline_dock, w.inspector_dock) if d.isVisible()]
        rects = [d.geometry() for d in docks] + [w.centralWidget().geometry()]
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                assert not a.intersects(b), (width, height, a, b)
        for button in w.media_panel.findChildren(QPushButton):
            inside = w.media_panel.rect().contains(button.geometry())
            assert inside or not button.isVisible(), (width, height, button.text())
        pose = w.timeline.time_to_view(0.0, "pose", 30.0).y(), \
            w.timeline.time_to_view(0.0, "pose", -30.0).y()
        assert pose[1] - pose[0] >= 40, (width, height, pose)
        if height >= 900:  # room enough: the lanes are all in view, no scrolling, once the
            # window has given the timeline its share (after the resize settles: a busy
            # machine may take more than one pass of events)
            bar = w.timeline.scroll.verticalScrollBar()
            person.wait_until(lambda: not bar.isVisible(), 10,
                              f"all lanes in view at {width}x{height} "
                              f"(timeline dock {w.timeline_dock.height()} px)")


# ---- a long session ------------------------------------------------------------------------
SOAK_EDITS = 300
SOAK_GROWTH_MB = 150


@scenario
def soak_300_mixed_edits(setting: Setting) -> None:
    """300 edits by input events in one window (add, drag, undo, redo, play, step, presets):
    alive at the end, the project consistent, memory grown by less than 150 MB."""
    import random

    person = setting.loaded()
    w = person.window
    rng = random.Random(7)
    lanes = ("pose", "gaze", "blinks", "emotion", "style")
    presets = ("calm", "neutral", "energetic", "whisper", "exaggerated")

    def add() -> None:
        person.double_click(person.lanes, person.lane_pos(rng.uniform(0.2, 12.5), rng.choice(lanes)))

    def drag() -> None:
        refs = key_refs(w.project)
        if refs:
            start = QPointF(person.key_pos(rng.choice(refs)))
            person.drag(person.lanes, start, start + QPointF(rng.uniform(-30, 30),
                                                             rng.uniform(-20, 20)))

    def play() -> None:
        person.press(Qt.Key_Space)
        person.wait(rng.randint(20, 120))
        person.press(Qt.Key_Space)

    actions = [add, add, drag, drag,
               lambda: person.press(Qt.Key_Z, Qt.ControlModifier),
               lambda: person.press(Qt.Key_Y, Qt.ControlModifier),
               lambda: person.press(Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier),
               play,
               lambda: person.press(rng.choice((Qt.Key_Left, Qt.Key_Right))),
               lambda: person.press(Qt.Key_Right, Qt.ShiftModifier),
               lambda: person.choose(w.inspector.preset, rng.choice(presets))]
    for _ in range(20):  # caches, fonts and the renderer warm up before the baseline
        rng.choice(actions)()
    person.settle()
    baseline = rss_mb()
    for i in range(SOAK_EDITS):
        rng.choice(actions)()
        if i % 50 == 49:
            person.settle()
    person.settle()
    grown = rss_mb() - baseline
    print(f"{SOAK_EDITS} edits: {w.undo_stack.count()} undo steps, memory grew {grown:.0f} MB",
          file=sys.stderr)
    assert grown < SOAK_GROWTH_MB, grown
    # still answering: a key typed in the inspector lands
    person.double_click(person.lanes, person.lane_pos(13.0, "pose"))
    ref = w.timeline.selected()[-1]
    person.type_into(w.inspector.fields["t"], "12.96")
    assert any(k.t == 12.96 for k in getattr(w.project.tracks, ref.track).keys)


# ---- a crash and the work coming back (run in turn by test_gui_scenarios.py) ------------------
KILLED_VALUE = 17.0


@scenario
def edit_then_get_killed(setting: Setting) -> None:
    """Save the project (Ctrl+S), edit a key in the inspector, and die by SIGKILL three
    seconds later, as a crash would take the studio."""
    person = setting.loaded()
    w = person.window
    project = setting.workdir / "talk.json"
    QFileDialog.getSaveFileName = lambda *a, **k: (str(project), "")
    person.press(Qt.Key_S, Qt.ControlModifier)
    assert project.is_file() and not w.isWindowModified()
    person.click_key(KeyRef("head_yaw", 1))
    person.type_into(w.inspector.fields["v"], f"{KILLED_VALUE}")
    assert w.project.tracks.head_yaw.keys[1].v == KILLED_VALUE
    edited = time.monotonic()
    sidecar = project.with_name("talk.autosave.json")
    person.wait_until(sidecar.is_file, 30, "the autosave")
    print(f"autosaved {time.monotonic() - edited:.2f} s after the edit", file=sys.stderr)
    person.wait(500)
    os.kill(os.getpid(), signal.SIGKILL)


def _check_recovered(person: Person, project: Path, texts: list[str]) -> None:
    w = person.window
    person.wait_until(lambda: texts, 30, "the recovery question")
    assert "talk.json" in texts[0] and "Recover" in texts[0], texts
    person.wait_until(lambda: w.doc.path == project, 30, "the project")
    assert w.project.tracks.head_yaw.keys[1].v == KILLED_VALUE, w.project.tracks.head_yaw.keys
    assert w.isWindowModified()
    sidecar = project.with_name("talk.autosave.json")
    assert sidecar.is_file()  # until the user saves
    person.press(Qt.Key_S, Qt.ControlModifier)
    person.wait(200)
    assert not sidecar.exists() and not w.isWindowModified()
    from studio.doc.io import load_project
    assert load_project(project).tracks.head_yaw.keys[1].v == KILLED_VALUE


@scenario
def recover_opening_the_project(setting: Setting) -> None:
    """`studio gui talk.json` after the crash: the autosaved edit is offered and comes back."""
    texts = answer_soon(QMessageBox.Yes)
    project = setting.workdir / "talk.json"
    person = setting.start(project)
    _check_recovered(person, project, texts)


@scenario
def recover_starting_empty(setting: Setting) -> None:
    """`studio gui` with no project after the crash: the same offer."""
    texts = answer_soon(QMessageBox.Yes)
    person = setting.start()
    _check_recovered(person, setting.workdir / "talk.json", texts)


def _restart_answering(setting: Setting, button) -> tuple[Person, Path]:
    """`studio gui talk.json` after the crash, answering the recovery question with `button`."""
    texts = answer_soon(button)
    project = setting.workdir / "talk.json"
    person = setting.start(project)
    person.wait_until(lambda: texts, 30, "the recovery question")
    return person, project


@scenario
def decline_recovery_then_close(setting: Setting) -> None:
    """No to the offer deletes the sidecar; the saved project opens as it was saved."""
    person, project = _restart_answering(setting, QMessageBox.No)
    w = person.window
    assert w.doc.path == project and w.project.tracks.head_yaw.keys[1].v == 0.0
    assert not project.with_name("talk.autosave.json").exists()
    assert not w.isWindowModified()


# ---- the first hour, start to end (tests/test_gui_scenarios.py runs it in a real X window) --
FIRST_HOUR_EDIT = 23.0


def _shoot(person: Person, folder: Path, name: str) -> None:
    for width, height in ((1024, 700), (1920, 1080)):
        person.window.resize(width, height)
        person.wait(400)
        person.window.grab().save(str(folder / f"{name}-{width}x{height}.png"))


def _key_here(person: Person, t: float, lane: str, v: float | None = None):
    """Double-click a lane; the new key is selected and shown in the inspector."""
    person.double_click(person.lanes, person.lane_pos(t, lane, v))
    person.wait(100)
    return person.window.timeline.selected()[-1]


@scenario
def first_hour(setting: Setting) -> None:
    """Drop a portrait and a voice, play, key every direction control by mouse and inspector,
    save, close, reopen, export, edit again and get killed (first_hour_recovered follows)."""
    from studio.resources import SAMPLES_DIR
    from media_probe import decode_video

    shots = setting.workdir / "screenshots"
    shots.mkdir()
    person = setting.start()
    w = person.window
    _shoot(person, shots, "welcome")
    drop_files(w, SAMPLES_DIR / "portrait.jpg", SAMPLES_DIR / "speech.wav")
    person.wait_until(lambda: w.project.tracks.visemes and not w.media.busy, 120,
                      "analysis and lip sync")
    person.settle()
    person.press(Qt.Key_Space)
    person.wait_until(lambda: w.frame > 20, 30, "playback")
    person.press(Qt.Key_Space)
    person.press(Qt.Key_Home)
    # head yaw by mouse: a key, dragged up
    yaw = _key_here(person, 2.0, "pose", 0.0)
    start = QPointF(person.key_pos(yaw))
    person.drag(person.lanes, start, start + QPointF(0, -40), Qt.ShiftModifier)
    assert w.project.tracks.head_yaw.keys[0].v > 5.0, w.project.tracks.head_yaw.keys
    # pitch and roll by the inspector: the curve nearest the pointer gets the key
    pitch = _key_here(person, 6.0, "pose", 0.0)
    person.type_into(w.inspector.fields["v"], "-12")
    roll = _key_here(person, 9.0, "pose", 0.0)
    person.type_into(w.inspector.fields["v"], "8")
    assert {yaw.track, pitch.track, roll.track} == {"head_yaw", "head_pitch", "head_roll"}, (
        yaw, pitch, roll)
    gaze = _key_here(person, 3.0, "gaze")
    person.type_into(w.inspector.fields["yaw"], "15")
    _key_here(person, 4.0, "blinks", w.project.tracks.blink_rate.default)
    person.type_into(w.inspector.fields["v"], "30")
    _key_here(person, 4.5, "blinks", 55.0)  # off the rate curve: a blink
    person.type_into(w.inspector.fields["duration"], "0.3")
    _key_here(person, 7.0, "emotion")
    person.choose(w.inspector.fields["emotion"], "surprised")
    person.type_into(w.inspector.fields["intensity"], "0.8")
    _key_here(person, 5.0, "style")
    person.type_into(w.inspector.fields["lip_amplitude"], "1.6")
    tracks = w.project.tracks
    assert tracks.gaze[0].yaw == 15.0 and tracks.blink_rate.keys[0].v == 30.0
    assert any(b.duration == 0.3 for b in tracks.blinks)
    assert (tracks.emotion[0].emotion, tracks.emotion[0].intensity) == ("surprised", 0.8)
    assert tracks.style[0].lip_amplitude == 1.6 and gaze.track == "gaze"
    person.settle()
    _shoot(person, shots, "edited")
    # save, close, reopen
    project = setting.workdir / "talk.json"
    QFileDialog.getSaveFileName = lambda *a, **k: (str(project), "")
    person.press(Qt.Key_S, Qt.ControlModifier)
    saved = w.project
    person.press(Qt.Key_Q, Qt.ControlModifier)
    person.wait_until(lambda: not w.isVisible(), 30, "the window to close")
    person = setting.start(project)
    w = person.window
    assert w.project == saved
    person.wait_until(lambda: w.project.portrait in w.rigs, 60, "the portrait's analysis")
    person.settle()
    # export a second of the clip, small
    person.press(Qt.Key_E, Qt.ControlModifier)
    dialog = w.last_export_dialog
    out = setting.workdir / "clip.mp4"
    person.type_into(dialog.path, str(out), then=Qt.Key_Tab)  # Enter would export now
    for box, text in ((dialog.width_box, "256"), (dialog.height_box, "256"),
                      (dialog.start, "50"), (dialog.end, "74")):
        person.type_into(box, text, then=Qt.Key_Tab)
    assert dialog.isVisible()
    person.click(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok))
    person.wait_until(lambda: out.is_file() and not w.exporter.running, 120, "the export")
    assert decode_video(out).shape == (25, 256, 256, 3)
    # one more edit, then the crash
    person.click_key(KeyRef(yaw.track, 0))
    person.type_into(w.inspector.fields["v"], f"{FIRST_HOUR_EDIT}")
    sidecar = project.with_name("talk.autosave.json")
    person.wait_until(sidecar.is_file, 30, "the autosave")
    os.kill(os.getpid(), signal.SIGKILL)


@scenario
def first_hour_recovered(setting: Setting) -> None:
    person, _ = _restart_answering(setting, QMessageBox.Yes)
    assert person.window.project.tracks.head_yaw.keys[0].v == FIRST_HOUR_EDIT
    _shoot(person, setting.workdir / "screenshots", "recovered")


@scenario
def export_again_starts_from_the_last_export(setting: Setting) -> None:
    """Ctrl+E after an export offers what that export was accepted with: the same file,
    size and frames; after an export of the whole clip, the whole clip again."""
    from media_probe import decode_video

    person = setting.loaded()
    w = person.window
    out = setting.workdir / "part.mp4"

    def export(**typed: str) -> None:
        """Ctrl+E, the fields (by name) typed into, Export (Replace when asked)."""
        person.press(Qt.Key_E, Qt.ControlModifier)
        dialog = w.last_export_dialog
        for name, text in typed.items():
            person.type_into(getattr(dialog, name), text, then=Qt.Key_Tab)
        replacing = out.exists()
        if replacing:
            out.unlink()  # is_file() below then waits for this export's output
            out.write_bytes(b"")
        assert dialog.isVisible()
        if replacing:
            answer_soon(QMessageBox.Yes)  # "part.mp4 already exists. Replace it?"
        person.click(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok))
        person.wait_until(lambda: out.is_file() and out.stat().st_size > 0
                          and not w.exporter.running, 120, "the export")
        person.wait_until(lambda: w.notification is not None and w.notification.isVisible(),
                          10, "the Exported message")
        person.click(w.notification.button(QMessageBox.Ok))

    def offered() -> tuple:
        person.press(Qt.Key_E, Qt.ControlModifier)
        dialog = w.last_export_dialog
        found = (dialog.path.text(), dialog.width_box.value(), dialog.height_box.value(),
                 dialog.start.value(), dialog.end.value())
        dialog.reject()
        person.wait(50)
        return found

    whole = offered()
    last_frame = whole[-1]
    export(path=str(out), width_box="128", height_box="128", start="10", end="34")
    assert decode_video(out).shape == (25, 128, 128, 3), decode_video(out).shape
    assert offered() == (str(out), 128, 128, 10, 34)
    # the whole clip this time: the next dialog offers the whole clip
    export(start="0", end=str(last_frame))
    assert offered()[3:] == (0, last_frame)


@scenario
def export_dialog_refuses_a_reversed_range_and_names_by_format(setting: Setting) -> None:
    """Frames 200 to 100: Export is disabled and Enter exports nothing (it wrote one frame
    and said "Exported"); a .mp4 name typed for a transparent export becomes .mov."""
    person = setting.loaded()
    w = person.window
    person.press(Qt.Key_E, Qt.ControlModifier)
    dialog = w.last_export_dialog
    out = setting.workdir / "snap.mp4"
    person.type_into(dialog.path, str(out), then=Qt.Key_Tab)
    person.type_into(dialog.start, "200", then=Qt.Key_Tab)
    person.type_into(dialog.end, "100", then=Qt.Key_Tab)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    assert not ok.isEnabled() and "before the first" in dialog.summary.text(), \
        dialog.summary.text()
    person.type_into(dialog.end, "100")  # Enter
    person.wait(200)
    assert dialog.isVisible() and not w.exporter.running and not out.exists()
    person.type_into(dialog.end, "224", then=Qt.Key_Tab)
    assert ok.isEnabled() and dialog.summary.text().startswith("25 frames")
    # transparent: the typed .mp4 name follows the format
    person.click(dialog.transparent)
    assert dialog.transparent.isChecked()
    person.type_into(dialog.path, str(out), then=Qt.Key_Tab)
    assert dialog.path.text() == str(out.with_suffix(".mov")), dialog.path.text()
    dialog.reject()


def drop_files(window, *paths: Path) -> None:
    """Files dragged from the desktop onto the viewport."""
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = window.viewport.rect().center()
    target = window.viewport
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    QApplication.sendEvent(target, QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton,
                                              Qt.NoModifier))


def main(argv: list[str], scenarios: dict | None = None) -> int:
    """Run the scenario NAME of `scenarios` (these of this file by default)."""
    name, workdir, analysis = argv[0], Path(argv[1]), Path(argv[2])
    from qt_windows import fresh_settings
    from studio.ui.app import make_application

    make_application()
    setting = Setting(workdir, load_analysis(analysis), fresh_settings(workdir), [])
    try:
        (SCENARIOS if scenarios is None else scenarios)[name](setting)
    finally:
        for window in setting.windows:
            window.undo_stack.setClean()
            window.close()
    print("scenario passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
