"""The timeline's pyqtgraph pieces: its time axes, the view box that routes mouse gestures to
the Timeline, the playhead and the key dots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from studio.ui.timeline.view import Timeline


class _TimeAxis(pg.AxisItem):
    """Seconds on top, frame numbers at the bottom: the two clocks an animator thinks in."""

    def __init__(self, orientation: str, fps_source) -> None:
        super().__init__(orientation)
        self._fps_source = fps_source

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        if self.orientation == "bottom":
            fps = self._fps_source()
            return [f"{round(v * fps)}" for v in values]
        decimals = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
        return [f"{v:.{decimals}f}s" for v in values]


class _LaneViewBox(pg.ViewBox):
    """Routes mouse gestures to the Timeline: left drags edit, middle drags and wheel pan,
    Ctrl+wheel zooms around the pointer."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(enableMenu=False)
        self._timeline = timeline

    def wheelEvent(self, ev, axis=None):  # noqa: N802 (Qt API)
        steps = ev.delta() / 120.0
        left, right = self.viewRange()[0]
        if ev.modifiers() & Qt.ControlModifier:
            centre = self.mapSceneToView(ev.scenePos()).x()
            self._timeline.zoom(0.8**steps, centre)
        else:
            shift = -(right - left) * 0.1 * steps
            self.setXRange(left + shift, right + shift, padding=0)
        ev.accept()

    def mouseClickEvent(self, ev):  # noqa: N802
        pos = self.mapSceneToView(ev.scenePos())
        if ev.button() == Qt.LeftButton:
            ev.accept()
            if ev.double():
                self._timeline._double_click(pos)
            else:
                self._timeline._click(pos, ev.modifiers())
        elif ev.button() == Qt.RightButton:
            ev.accept()
            self._timeline._context_menu(pos, ev.screenPos())

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self._timeline._drag(ev)
        elif ev.button() == Qt.MiddleButton:
            ev.accept()
            delta = self.mapSceneToView(ev.lastScenePos()).x() - self.mapSceneToView(
                ev.scenePos()).x()
            left, right = self.viewRange()[0]
            self.setXRange(left + delta, right + delta, padding=0)
        else:
            ev.ignore()


class _Playhead(pg.InfiniteLine):
    """The draggable playhead; a key under it still gets the drag, so keys at the playhead
    (where K puts them) stay editable."""

    def __init__(self, timeline: Timeline, **kwargs) -> None:
        super().__init__(**kwargs)
        self._timeline = timeline
        self._key_drag = False  # the current drag started on a key

    def hoverEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        # A line that accepts the drag while hovered is the only item the drag is offered to;
        # over a key it must not, so the key under the pointer gets the drag.
        if not ev.isExit() and self._timeline._pick(
                self._timeline.vb.mapSceneToView(ev.scenePos())) is not None:
            self.setMouseHover(False)
            return
        super().hoverEvent(ev)

    def mouseDragEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        if ev.isStart():
            self._key_drag = self._timeline._pick(
                self._timeline.vb.mapSceneToView(ev.buttonDownScenePos())) is not None
        if self._key_drag:
            # a drag that starts on a key moves the key, even when the scene offered it to the
            # playhead (hovered before the key was there): the lanes' own drag handles it
            self._timeline.vb.mouseDragEvent(ev)
            return
        super().mouseDragEvent(ev)

    def mouseClickEvent(self, ev):  # noqa: N802
        if self._timeline._pick(self._timeline.vb.mapSceneToView(ev.scenePos())) is not None:
            ev.ignore()
            return
        super().mouseClickEvent(ev)


class _KeyDots(pg.ScatterPlotItem):
    """The keys, drawn. Picking is the timeline's (_pick, by distance in pixels): a click on a
    dot must reach the lane's view box, which selects the key, not stop here as pyqtgraph's
    clickable points would."""

    def mouseClickEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        ev.ignore()
