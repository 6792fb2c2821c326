"""A person at the studio's window: real mouse and keyboard events on the real widgets.

Scenarios (tests/gui_scenarios.py) run in a child process each, so a crash of Qt fails one test
instead of the whole run. Nothing here calls the window's slots: keys go to whichever widget has
focus (through Qt's shortcut map, as a key press does), clicks and drags go to the widget under
the pointer.
"""

from __future__ import annotations

import copy
import pickle
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QMessageBox, QScrollArea, QStyle, QStyleOptionSpinBox,
    QWidget,
)

from studio.doc.document import Document
from studio.doc.project import Key
from studio.ui.media import audio_key

WAIT_S = 60.0
MOVE_INTERVAL_MS = 16  # a mouse reports its moves at about 60 Hz


def spin_arrow_pos(box: QAbstractSpinBox, up: bool) -> QPoint:
    """The centre of a spin box's up or down arrow, where a person clicks it."""
    option = QStyleOptionSpinBox()
    option.initFrom(box)
    option.buttonSymbols = box.buttonSymbols()
    option.subControls = QStyle.SC_SpinBoxUp | QStyle.SC_SpinBoxDown | QStyle.SC_SpinBoxFrame
    control = QStyle.SC_SpinBoxUp if up else QStyle.SC_SpinBoxDown
    return box.style().subControlRect(QStyle.CC_SpinBox, option, control, box).center()


def reveal(widget: QWidget) -> None:
    """Scroll the panels holding a widget until it shows, as a person scrolls to a field."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
        parent = parent.parentWidget()
    QApplication.processEvents()


def pump(ms: float) -> None:
    """Let the window run for `ms`, as its event loop does. QTest.qWait holds Python's GIL
    while Qt waits, which starves the studio's worker threads (analysis, preview, autosave):
    the events are processed here and the waiting is a sleep that lets those threads run."""
    end = time.monotonic() + ms / 1000
    while True:
        QApplication.processEvents()
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.005))


class Person:
    """Drives one MainWindow by input events. `window` is the real studio window."""

    def __init__(self, window) -> None:
        self.window = window

    # ---- time --------------------------------------------------------------------------
    def wait(self, ms: int = 50) -> None:
        pump(ms)

    def wait_until(self, condition, timeout: float = WAIT_S, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what or condition}")
            pump(20)

    def settle(self) -> None:
        """Until the newest preview request's frame is on screen."""
        w = self.window
        self.wait_until(lambda: w.worker.wait_idle(0.01) and w.viewport.frame_array is not None
                        and w.preview.shown_generation == w.worker.generation, what="the preview")

    # ---- keyboard ----------------------------------------------------------------------
    def focus(self) -> QWidget:
        return QApplication.focusWidget() or self.window

    def press(self, key, modifiers=Qt.NoModifier) -> None:
        """A key press where the keyboard focus is, as the window system delivers it."""
        if QApplication.activeWindow() is None:
            # a dialog just closed: a desktop's window manager gives the window the keyboard
            # back; the offscreen platform has none
            self.window.activateWindow()
            QTest.qWaitForWindowActive(self.window)
        QTest.keyClick(self.focus(), key, modifiers)
        self.wait(10)

    def type(self, text: str) -> None:
        QTest.keyClicks(self.focus(), text)

    # ---- mouse -------------------------------------------------------------------------
    def click(self, widget: QWidget, pos: QPoint | None = None, button=Qt.LeftButton,
              modifiers=Qt.NoModifier) -> None:
        """A click as the window system delivers it: to the window under the pointer, which
        routes it (popups, modal dialogs and all) and makes two quick ones a double-click."""
        reveal(widget)
        if widget.window().windowFlags() & Qt.Popup == Qt.Popup:
            # a menu or a list that closes (and loses its window) on this very click
            QTest.mouseClick(widget, button, modifiers, pos if pos is not None
                             else widget.rect().center())
        else:
            window, at = self._window_pos(widget, pos)
            QTest.mouseClick(window, button, modifiers, at)
        self.wait(10)

    def double_click(self, widget: QWidget, pos: QPoint, modifiers=Qt.NoModifier) -> None:
        window, at = self._window_pos(widget, pos)
        QTest.mouseDClick(window, Qt.LeftButton, modifiers, at)
        self.wait(10)

    @staticmethod
    def _window_pos(widget: QWidget, pos: QPoint | None):
        pos = pos if pos is not None else widget.rect().center()
        top = widget.window()
        return top.windowHandle(), widget.mapTo(top, QPoint(pos))

    def drag(self, widget: QWidget, start: QPointF, end: QPointF, modifiers=Qt.NoModifier,
             steps: int = 6) -> None:
        """Arrive, press, move in steps, release: a drag as the mouse sends it. The pointer
        hovers over the start first, as a hand's mouse does (what is under a hovering pointer
        can claim the drag). The moves come MOVE_INTERVAL_MS apart, as a mouse sends them:
        the timeline's scene (pyqtgraph) drops moves that come faster than its rate limit,
        and a burst of them would leave a press and a release, a click."""
        def send(kind, pos, buttons, button=Qt.LeftButton):
            point = QPointF(pos)
            event = QMouseEvent(kind, point, QPointF(widget.mapToGlobal(point)), button,
                                buttons, modifiers)
            QApplication.sendEvent(widget, event)

        for i in (2, 1, 0):  # the last steps of the approach
            send(QEvent.MouseMove, start + QPointF(3 * i, 2 * i), Qt.NoButton, Qt.NoButton)
            QTest.qWait(MOVE_INTERVAL_MS)
        send(QEvent.MouseButtonPress, start, Qt.LeftButton)
        for i in range(1, steps + 1):
            send(QEvent.MouseMove, start + (end - start) * (i / steps), Qt.LeftButton)
            QTest.qWait(MOVE_INTERVAL_MS)
        send(QEvent.MouseButtonRelease, end, Qt.NoButton)
        self.wait(10)

    def type_into(self, box: QWidget, text: str, then=Qt.Key_Return) -> None:
        """Click into a field, select what is there, type, press Enter (or `then`: Tab on to
        the next field of a dialog, where Enter would accept the dialog)."""
        reveal(box)
        line = box.lineEdit() if isinstance(box, QAbstractSpinBox) else box
        self.click(line)
        QTest.keyClick(line, Qt.Key_A, Qt.ControlModifier)
        QTest.keyClicks(line, text)
        QTest.keyClick(line, then)
        self.wait(30)

    def click_arrow(self, box: QAbstractSpinBox, up: bool = True) -> None:
        self.click(box, spin_arrow_pos(box, up))

    # ---- the timeline --------------------------------------------------------------------
    @property
    def lanes(self) -> QWidget:
        return self.window.timeline.view.viewport()

    def key_pos(self, ref) -> QPoint:
        return self.window.timeline.key_scene_pos(ref)

    def click_key(self, ref, modifiers=Qt.NoModifier) -> None:
        self.click(self.lanes, self.key_pos(ref), modifiers=modifiers)

    def lane_pos(self, t: float, lane: str, v: float | None = None) -> QPoint:
        return self.window.timeline.time_to_view(t, lane, v)

    def choose(self, combo, text: str) -> None:
        """Open a combo box's list with a click, walk to the entry with the arrow keys, Enter.
        (Qt's list takes a click on an entry only from the window system's own mouse.)"""
        reveal(combo)
        QTest.mouseClick(combo, Qt.LeftButton)
        popup = combo.view()
        self.wait_until(popup.isVisible, 5, "the combo box's list")
        index = combo.findText(text)
        assert index >= 0, f"{text!r} is not offered"
        steps = index - popup.currentIndex().row()
        for _ in range(abs(steps)):
            QTest.keyClick(popup, Qt.Key_Down if steps > 0 else Qt.Key_Up)
        QTest.keyClick(popup, Qt.Key_Return)
        self.wait(20)

    # ---- menus ---------------------------------------------------------------------------
    def menu(self, *path: str) -> None:
        """Open a menu of the menu bar with the mouse and click an entry in it."""
        bar = self.window.menuBar()
        while QApplication.activePopupWidget() is not None:
            # offscreen, a submenu's parent can stay open after its entry was chosen; on a
            # desktop it closes with the click
            QApplication.activePopupWidget().close()
            self.wait(10)
        if QApplication.activeWindow() is not self.window:
            self.window.activateWindow()  # as clicking into it does
            QTest.qWaitForWindowActive(self.window)
        action = next(a for a in bar.actions() if a.text().replace("&", "") == path[0])
        self.click(bar, bar.actionGeometry(action).center())
        menu = action.menu()
        self.wait_until(menu.isVisible, 5, f"the {path[0]} menu")
        for name in path[1:]:
            # "Undo" is "Undo Add head yaw key" by then: entries are found by how they begin
            item = next(a for a in menu.actions() if a.text().replace("&", "").startswith(name))
            assert item.isEnabled(), f"{' > '.join(path)} is disabled"
            self.click(menu, menu.actionGeometry(item).center())
            if item.menu() is not None:
                menu = item.menu()
                self.wait_until(menu.isVisible, 5, f"the {name} submenu")
                self.wait(100)
        self.wait(20)

    def answer_soon(self, button=QMessageBox.Yes) -> list[str]:
        return answer_soon(button)

    def answer(self, button=QMessageBox.Yes, timeout: float = 10) -> str:
        """Click a button of the message box that is showing; its text."""
        box: list[QMessageBox] = []

        def showing() -> bool:
            box[:] = [w for w in QApplication.topLevelWidgets()
                      if isinstance(w, QMessageBox) and w.isVisible()]
            return bool(box)

        self.wait_until(showing, timeout, "a message box")
        text = box[-1].text()
        self.click(box[-1].button(button))
        return text


def load_analysis(path: Path):
    with open(path, "rb") as f:
        return pickle.load(f)


def open_analysed(window, analysed, yaw_keys=((0.0, 0.0), (2.0, 0.0))) -> None:
    """Show the sample project with its analysis cached (as a reopened project would be), with
    head-yaw keys to click and drag."""
    from studio.conditioning.blinks import refresh_auto_blinks

    rig, audio, base = analysed
    project = copy.deepcopy(base)
    project.tracks.visemes = list(audio.visemes)
    project.tracks.head_yaw.keys = [Key(t, v, "linear") for t, v in yaw_keys]
    project.tracks.blinks = refresh_auto_blinks(project, audio.performance)
    cache(window, analysed)
    window.session.set_document(Document(project))
    Person(window).settle()


def cache(window, analysed) -> None:
    rig, audio, project = analysed
    window.rigs[project.portrait] = rig
    window.audio[audio_key(project)] = audio


def answer_soon(button=QMessageBox.Yes) -> list[str]:
    """Answer the next message box when it shows, even a modal one whose own event loop holds
    the scenario's code (say, a question asked while the studio opens): the click comes from a
    timer. The list gets the box's text."""
    texts: list[str] = []

    def look() -> None:
        boxes = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.isVisible()]
        if not boxes:
            QTimer.singleShot(20, look)
            return
        texts.append(boxes[-1].text())
        QTest.mouseClick(boxes[-1].button(button), Qt.LeftButton)

    QTimer.singleShot(0, look)
    return texts
