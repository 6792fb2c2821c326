"""Key interaction on the timeline: picking, clicks, double-clicks, drags, the rubber band and the
context menus. A mixin of Timeline, which provides `project`, `vb`, `lanes`, `_lane`, `_refs`,
`_points`, `_selected`, `active`, `_fps`, `_frame`, `playhead`, its signals, `set_selection`,
`set_frame`, `_draw_keys`, `_redraw_tracks` and the painter's `_visemes`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsRectItem, QMenu

from studio.conditioning.visemes import VISEME_SHAPES
from studio.doc.project import INTERPOLATIONS
from studio.doc.tracks import TRACK, lane_tracks, sample_track
from studio.ui import theme
from studio.ui.timeline.keys import (
    KeyMove, KeyRef, key_interp, key_time, key_value, moved_copy, snap_time, tracks_of,
)
from studio.ui.timeline.lanes import LANE_TRACKS, lane_of_track
from studio.ui.timeline.painter import series

PICK_RADIUS_PX = 8.0


@dataclass
class _Drag:
    refs: list[KeyRef]
    origin: list[tuple[float, float]]
    start: QPointF
    start_screen: QPointF
    undrawn: list[KeyMove] | None = None  # the latest moves, until the lane shows them


class KeyGestures:
    """Mouse and menu gestures on keys, turned into the Timeline's signals."""

    def _pick(self, pos: QPointF) -> KeyRef | None:
        if len(self._points) == 0:
            return None
        px, py = self.vb.viewPixelSize()
        d = np.hypot((self._points[:, 0] - pos.x()) / px, (self._points[:, 1] - pos.y()) / py)
        i = int(np.argmin(d))
        return self._refs[i] if d[i] <= PICK_RADIUS_PX else None

    def _snap_frame(self, t: float) -> int:
        count = self.project.frame_count() if self.project else 1
        return min(max(round(t * self._fps), 0), count - 1)

    def _playhead_dragged(self) -> None:
        frame = self._snap_frame(self.playhead.value())
        if abs(self.playhead.value() - frame / self._fps) > 1e-9:
            self.playhead.blockSignals(True)
            self.playhead.setValue(frame / self._fps)
            self.playhead.blockSignals(False)
        if frame != self._frame:
            self._frame = frame
            self.playheadMoved.emit(frame)

    def _click(self, pos: QPointF, modifiers) -> None:
        ref = self._pick(pos)
        if ref is None:
            if not modifiers & Qt.ControlModifier:
                self.set_selection([])
            self._activate_lane(pos)
            self.set_frame(self._snap_frame(pos.x()))
            self.playheadMoved.emit(self._frame)
            return
        if modifiers & Qt.ControlModifier:
            chosen = [r for r in self._selected if r != ref] if ref in self._selected else (
                self._selected + [ref])
            self.set_selection(chosen)
        else:
            self.set_selection([ref])

    def _activate_lane(self, pos: QPointF) -> tuple[str, str] | None:
        """Pick the track nearest the pointer in the lane under it (K and double-click use it)."""
        lane = self.lane_at(pos.y())
        if lane is None or self.project is None or not any(
                s.keyed for s in lane_tracks(lane.name)):
            return None
        t = np.array([max(pos.x(), 0.0)])
        best, best_d = None, float("inf")
        for track, field in LANE_TRACKS.get(lane.name, ()):
            v = sample_track(self.project.tracks, track, t)[field][0]
            d = abs(lane.y_of(v) - pos.y())
            if d < best_d:
                best, best_d = (track, field), d
        events = [s.name for s in lane_tracks(lane.name) if s.kind == "events"]
        if events and (best is None or best_d / self.vb.viewPixelSize()[1] > PICK_RADIUS_PX):
            best = (events[0], "t")  # off every curve of a lane with events: an event
        self.active = best
        return best

    def _double_click(self, pos: QPointF) -> None:
        target = self._activate_lane(pos)
        if target is None or self.project is None:
            return
        track, field = target
        t = snap_time(pos.x(), self._fps, self.project.frame_count())
        # on the curve, at its value there: a double-click is no place to pick a value (a
        # little low in the pose lane would mean -28°); dragging the new key sets it
        self.keyAddRequested.emit(track, field, t, None)

    def _drag(self, ev) -> None:
        if self.project is None:
            return
        pos = self.vb.mapSceneToView(ev.scenePos())
        if ev.isStart():
            start = self.vb.mapSceneToView(ev.buttonDownScenePos())
            ref = self._pick(start)
            if ref is None:
                self._dragging = None
                self._band = QGraphicsRectItem()
                self._band.setPen(pg.mkPen(theme.ACCENT, style=Qt.DashLine))
                self._band.setBrush(pg.mkBrush(79, 140, 255, 40))
                self._band.setZValue(30)
                self.vb.addItem(self._band, ignoreBounds=True)
                self._band_start = start
            else:
                if ref not in self._selected:
                    self.set_selection([ref])
                refs = list(self._selected)
                origin = [(key_time(self.project, r), key_value(self.project, r)) for r in refs]
                self._dragging = _Drag(refs, origin, start, ev.buttonDownScreenPos())
        if self._dragging is not None:
            self._drag_keys(ev, pos)
        elif self._band is not None:
            self._drag_band(ev, pos)

    def _drag_keys(self, ev, pos: QPointF) -> None:
        drag = self._dragging
        dt = pos.x() - drag.start.x()
        dy = pos.y() - drag.start.y()
        if ev.modifiers() & Qt.ShiftModifier:
            screen = ev.screenPos() - drag.start_screen
            if abs(screen.x()) >= abs(screen.y()):
                dy = 0.0
            else:
                dt = 0.0
        count = self.project.frame_count()
        moves = []
        for ref, (t0, v0) in zip(drag.refs, drag.origin):
            lane = self._lane[lane_of_track(ref.track)]
            t = snap_time(t0 + dt, self._fps, count)
            v = v0 if TRACK[ref.track].kind == "events" else lane.clamp(v0 + lane.v_per_y() * dy)
            moves.append(KeyMove(ref, t, v))
        if ev.isFinish():
            self._dragging = None
            changed = any(
                abs(m.t - t0) > 1e-9 or abs(m.v - v0) > 1e-9
                for m, (t0, v0) in zip(moves, drag.origin)
            )
            self._redraw_tracks(tracks_of(moves))  # the preview's drawing back to the project's
            if changed:
                self.keysMoved.emit(moves)
            return
        # the preview request goes out first; the lane follows once per event-loop turn,
        # however many mouse moves arrived in it
        self.keysDragging.emit(moves)
        if drag.undrawn is None:
            QTimer.singleShot(0, self, self._draw_drag)
        drag.undrawn = moves

    def _draw_drag(self) -> None:
        """The dragged keys and their curves where the latest mouse move put them; the other
        lanes stay as they are."""
        drag = self._dragging
        if drag is None or drag.undrawn is None:
            return
        preview, new_refs = moved_copy(self.project, drag.undrawn)
        drag.undrawn = None
        self.painter.draw(preview, {lane_of_track(t) for t in tracks_of(new_refs)},
                          tracks_of(new_refs))
        self._draw_keys(preview, tracks_of(new_refs))
        self._highlight(new_refs)

    def _highlight(self, refs: list[KeyRef]) -> None:
        """During a drag the dragged keys stay highlighted, wherever sorting put them."""
        saved = self._selected
        self._selected = refs
        self._draw_keys_from_points()
        self._selected = saved

    def _draw_keys_from_points(self) -> None:
        selected = set(self._selected)
        brushes = [pg.mkBrush(theme.SELECTED if ref in selected else _key_color(ref))
                   for ref in self._refs]
        self._scatter.setBrush(brushes)

    def _drag_band(self, ev, pos: QPointF) -> None:
        rect = QRectF(self._band_start, pos).normalized()
        self._band.setRect(rect)
        if not ev.isFinish():
            return
        self.vb.removeItem(self._band)
        self._band = None
        inside = [
            ref for ref, (x, y) in zip(self._refs, self._points)
            if rect.left() <= x <= rect.right() and rect.top() <= y <= rect.bottom()
        ]
        if ev.modifiers() & Qt.ControlModifier:
            inside = self._selected + [r for r in inside if r not in self._selected]
        self.set_selection(inside)

    def _hover(self, scene_pos: QPointF) -> None:
        """Over a viseme segment, its tooltip names it (with its span): the name of a segment
        too narrow for its label is still a hover away."""
        index = self.viseme_at(self.vb.mapSceneToView(scene_pos))
        text = ""
        if index is not None:
            segment = self.project.tracks.visemes[index]
            text = f"{segment.viseme}  {segment.start:.2f}–{segment.end:.2f} s"
            if segment.source == "user":
                text += " (yours)"
        if self._visemes.toolTip() != text:
            self._visemes.setToolTip(text)

    def viseme_at(self, pos: QPointF) -> int | None:
        """The viseme segment under a point of the viseme lane, by index in the track."""
        lane = self._lane["visemes"]
        if self.project is None or not lane.contains(pos.y()):
            return None
        return next((i for i, s in enumerate(self.project.tracks.visemes)
                     if s.start <= pos.x() < s.end), None)

    def _viseme_menu(self, index: int, screen_pos) -> None:
        """Right-click on a segment: the artist picks the mouth shape, overriding lip sync."""
        segment = self.project.tracks.visemes[index]
        menu = QMenu(self)
        # a heading as a disabled entry: the style draws a section's text as a bare line
        menu.addAction(f"Mouth shape {segment.start:.2f}–{segment.end:.2f} s").setEnabled(False)
        menu.addSeparator()
        for viseme in VISEME_SHAPES:
            action = QAction(viseme, menu, checkable=True)
            action.setChecked(viseme == segment.viseme)
            action.triggered.connect(
                lambda _=False, v=viseme: self.visemeOverrideRequested.emit(index, v))
            menu.addAction(action)
        menu.addSeparator()
        automatic = menu.addAction("Back to automatic")
        automatic.setEnabled(segment.source == "user")
        automatic.triggered.connect(lambda: self.visemeAutomaticRequested.emit(index))
        self.context_menu = menu
        menu.popup(screen_pos.toPoint() if hasattr(screen_pos, "toPoint") else screen_pos)

    def _context_menu(self, pos: QPointF, screen_pos) -> None:
        segment = self.viseme_at(pos)
        if segment is not None:
            self._viseme_menu(segment, screen_pos)
            return
        ref = self._pick(pos)
        if ref is not None and ref not in self._selected:
            self.set_selection([ref])
        menu = QMenu(self)
        refs = list(self._selected)
        interps = {key_interp(self.project, r) for r in refs} if self.project else set()
        for interp in INTERPOLATIONS:
            action = QAction(f"Interpolation: {interp}", menu, checkable=True)
            action.setChecked(interps == {interp})
            action.setEnabled(bool(refs) and interps != {None})
            action.triggered.connect(lambda _=False, i=interp: self.interpolationRequested.emit(
                list(self._selected), i))
            menu.addAction(action)
        menu.addSeparator()
        delete = menu.addAction("Delete keys")
        delete.setEnabled(bool(refs))
        delete.triggered.connect(lambda: self.deleteRequested.emit(list(self._selected)))
        menu.addAction("Fit to clip", self.fit)
        self.context_menu = menu  # kept for tests, which trigger its actions directly
        menu.popup(screen_pos.toPoint() if hasattr(screen_pos, "toPoint") else screen_pos)


def _key_color(ref: KeyRef) -> str:
    return theme.TRACK_COLORS[series(ref.track, ref.field)]
