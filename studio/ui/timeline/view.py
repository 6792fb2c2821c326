"""The timeline widget: every track in one pyqtgraph view, keys edited by mouse and keyboard.

It never edits the project itself. Gestures (studio/ui/timeline/gestures.py) come out as signals
carrying plain KeyMove/KeyRef data: `keysDragging` while a drag runs (for the live preview) and
one `keysMoved` when it ends, so the window can push exactly one undo command per gesture.

What each lane draws is the LanePainter's (studio/ui/timeline/painter.py); `set_project` with
the document's changed parts redraws only the lanes of the tracks that changed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QFrame, QGraphicsRectItem, QGraphicsTextItem, QScrollArea, \
    QVBoxLayout, QWidget

from studio.doc.project import Project
from studio.doc.tracks import TRACK, TRACKS
from studio.ui import theme
from studio.ui.timeline.gestures import KeyGestures, _Drag, _key_color
from studio.ui.timeline.keys import KeyRef, key_list, key_refs, key_time, key_value
from studio.ui.timeline.lanes import Lane, believable, build_lanes, lane_of_track
from studio.ui.timeline.painter import LanePainter, series_of_lane
from studio.ui.timeline.scene_items import _KeyDots, _LaneViewBox, _Playhead, _TimeAxis

LABEL_COLUMN_PX = 176  # lane names with their curve legends
HEADER_MARGIN_PX = 6
LANE_UNIT_PX = 36  # the least pixels per lane height unit: the gaze lane's name and legend fit
AXES_PX = 64  # the time axes above and below the lanes
MIN_HEIGHT_PX = 140  # the dock's least height; below the lanes' readable height it scrolls


class Timeline(KeyGestures, QWidget):
    playheadMoved = Signal(int)  # frame index
    keysDragging = Signal(object)  # list[KeyMove], live
    keysMoved = Signal(object)  # list[KeyMove], once per drag
    keyAddRequested = Signal(str, str, float, object)  # track, field, t, value or None
    deleteRequested = Signal(object)  # list[KeyRef]
    interpolationRequested = Signal(object, str)  # list[KeyRef], interp
    selectionChanged = Signal(object)  # list[KeyRef]
    visemeOverrideRequested = Signal(int, str)  # segment index, viseme
    visemeAutomaticRequested = Signal(int)  # segment index: lip sync's shapes back over it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.lanes = build_lanes()
        self._lane = {lane.name: lane for lane in self.lanes}
        self._fps = 25
        self._frame = 0
        self._selected: list[KeyRef] = []
        self._refs: list[KeyRef] = []
        self._points = np.zeros((0, 2))
        # each keyed track's dots: its refs and (t, y) points, redrawn with its lane
        self._track_dots: dict[str, tuple[list[KeyRef], np.ndarray]] = {}
        self._dragging: _Drag | None = None
        self._band: QGraphicsRectItem | None = None
        self.active = ("head_yaw", "v")  # the track K adds to
        self._build()

    # ---- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.BASE)
        self.vb = _LaneViewBox(self)
        axes = {
            "top": _TimeAxis("top", lambda: self._fps),
            "bottom": _TimeAxis("bottom", lambda: self._fps),
            "left": pg.AxisItem("left"),
        }
        self.plot = self.view.addPlot(viewBox=self.vb, axisItems=axes)
        self.plot.showAxis("top")
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "frame")
        self.vb.invertY(True)
        self.vb.setMouseEnabled(x=True, y=False)
        total = self.lanes[-1].bottom
        self.vb.setYRange(-0.05, total + 0.05, padding=0)
        self.vb.setLimits(yMin=-0.05, yMax=total + 0.05, minXRange=0.2)
        left = self.plot.getAxis("left")
        left.setTicks([[], []])  # the lane headers below name the lanes
        left.setWidth(LABEL_COLUMN_PX)
        for axis in ("top", "bottom", "left"):
            self.plot.getAxis(axis).setTextPen(theme.MUTED)
            self.plot.getAxis(axis).setPen(theme.MUTED)

        self.painter = LanePainter(self.vb, self.lanes)
        self.view.scene().sigMouseMoved.connect(self._hover)
        self._headers = self._lane_headers()
        self.vb.sigResized.connect(lambda *_: self._place_headers())
        # a wider view fits more labels: also when the dock is shown or the window resized
        self.vb.sigResized.connect(lambda *_: self.painter.update_label_visibility())
        self._scatter = _KeyDots(pxMode=True)
        self._scatter.setZValue(10)
        self.vb.addItem(self._scatter)
        self.playhead = _Playhead(self, pos=0.0, angle=90, movable=True,
                                  pen=pg.mkPen(theme.PLAYHEAD, width=2),
                                  hoverPen=pg.mkPen(theme.SELECTED, width=3))
        self.playhead.setZValue(20)
        self.playhead.sigPositionChanged.connect(self._playhead_dragged)
        self.vb.addItem(self.playhead, ignoreBounds=True)
        self.vb.sigXRangeChanged.connect(lambda *_: self.painter.update_label_visibility())

        # the lanes keep a readable height: a dock shorter than they need scrolls instead of
        # squeezing them until their headers overlap
        self.view.setMinimumHeight(self.readable_height())
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self.setMinimumHeight(MIN_HEIGHT_PX)

    # the painter's items under the names tests and the gestures use
    @property
    def _visemes(self) -> pg.BarGraphItem:
        return self.painter.segments["visemes"]

    @property
    def _viseme_labels(self) -> list:
        return self.painter.labels["visemes"]

    @property
    def _believable_bands(self) -> list:
        return self.painter.believable_bands

    @property
    def lane_redraws(self):
        """How often each lane was redrawn (a Counter by lane name)."""
        return self.painter.redraws

    def readable_height(self) -> int:
        """The view's height at which every lane is readable: name and legend fit its band."""
        return int(self.lanes[-1].bottom * LANE_UNIT_PX + AXES_PX)

    def _lane_headers(self):
        """Each lane's name and, under it, which colour is which curve: drawn in the label
        column, so no legend ever covers the curves, whatever the zoom."""
        left = self.plot.getAxis("left")
        headers = []
        for lane in self.lanes:
            legend = series_of_lane(lane.name)
            entries = "&nbsp; ".join(
                f'<span style="color:{theme.TRACK_COLORS[name]}">&#9644;</span>&nbsp;{label}'
                for name, label in legend) if len(legend) > 1 else ""
            html = f'<div style="color:{theme.TEXT}">{lane.label}</div>'
            if entries:
                html += (f'<div style="color:{theme.MUTED}; font-size:7pt">{entries}</div>')
            item = QGraphicsTextItem(left)
            item.setHtml(html)
            item.setTextWidth(LABEL_COLUMN_PX - 2 * HEADER_MARGIN_PX)
            item.document().setDocumentMargin(0)
            headers.append((lane, item))
        return headers

    def _place_headers(self) -> None:
        """Centre each header on its lane (top-aligned when taller than the lane)."""
        left = self.plot.getAxis("left")
        for lane, item in self._headers:
            top = left.mapFromScene(self.vb.mapViewToScene(QPointF(0, lane.top))).y()
            centre = left.mapFromScene(self.vb.mapViewToScene(QPointF(0, lane.centre))).y()
            height = item.boundingRect().height()
            item.setPos(HEADER_MARGIN_PX, max(top, centre - height / 2))

    # ---- model -> view ------------------------------------------------------------------
    def set_project(self, project: Project | None, waveform: np.ndarray | None = None,
                    auto_blinks: list[float] | None = None, keep_view: bool = True,
                    changed: Iterable[str] | None = None) -> None:
        """Show a project. `waveform` is (N, 2) time/peak pairs in 0..1.

        `changed` names the document's changed parts (track names, "settings", "media"): only
        the lanes of changed tracks are redrawn. None, a new project, or a part that is not a
        track ("settings" may change the frame rate) redraws every lane."""
        first = self.project is None
        lanes = self._lanes_of(changed) if project is self.project and not first else None
        if waveform is not None and waveform is not self.painter.waveform:
            self.painter.waveform = waveform
            lanes = lanes if lanes is None else lanes | {"waveform"}
        if auto_blinks is not None and list(auto_blinks) != self.painter.auto_events:
            self.painter.auto_events = list(auto_blinks)
            events = {s.lane for s in TRACKS if s.kind == "events"}
            lanes = lanes if lanes is None else lanes | events
        self.project = project
        if project is None:
            self._selected = []
            self._draw(None)
            return
        self._fps = project.fps
        valid = set(key_refs(project))
        self._selected = [r for r in self._selected if r in valid]
        self._draw(project, lanes)
        if first or not keep_view:
            self.fit()

    @staticmethod
    def _lanes_of(changed: Iterable[str] | None) -> set[str] | None:
        if changed is None:
            return None
        lanes = set()
        for part in changed:
            if part not in TRACK:
                return None
            lanes.add(lane_of_track(part))
        return lanes

    def _redraw_tracks(self, tracks: list[str]) -> None:
        """Redraw the lanes of `tracks` as the project has them (after a drag's preview)."""
        if self.project is not None:
            self._draw(self.project, {lane_of_track(t) for t in tracks})

    def set_selection(self, refs: list[KeyRef]) -> None:
        self._selected = list(refs)
        if refs:
            self.active = (refs[-1].track, refs[-1].field)
        if self.project is not None:
            self._draw_keys(self.project, ())
        self.selectionChanged.emit(list(self._selected))

    def selected(self) -> list[KeyRef]:
        return list(self._selected)

    def select_all(self) -> None:
        if self.project is not None:
            self.set_selection(key_refs(self.project))

    def set_frame(self, frame: int) -> None:
        """Move the playhead without echoing playheadMoved."""
        self._frame = frame
        self.playhead.blockSignals(True)
        self.playhead.setValue(frame / self._fps)
        self.playhead.blockSignals(False)

    def fit(self) -> None:
        duration = self.project.duration if self.project and self.project.duration > 0 else 5.0
        self.vb.setLimits(xMin=-0.5, xMax=duration + 0.5)
        self.vb.setXRange(0, duration, padding=0.02)

    def zoom(self, factor: float, centre: float | None = None) -> None:
        left, right = self.vb.viewRange()[0]
        centre = (left + right) / 2 if centre is None else centre
        self.vb.setXRange(centre - (centre - left) * factor, centre + (right - centre) * factor,
                          padding=0)

    def _draw(self, project: Project | None, lanes: set[str] | None = None) -> None:
        """Redraw `lanes` (every lane when None): their curves, bars and key dots."""
        names = [lane.name for lane in self.lanes if lanes is None or lane.name in lanes]
        self.painter.draw(project, names)
        if project is not None:
            self._draw_keys(project, None if lanes is None else
                            [s.name for s in TRACKS if s.lane in lanes])
        else:
            self._track_dots = {}
            self._scatter.setData([])
            self._refs, self._points = [], np.zeros((0, 2))

    def _point_y(self, project: Project, ref: KeyRef) -> float:
        lane = self._lane[lane_of_track(ref.track)]
        if TRACK[ref.track].kind == "events":
            return lane.top + lane.height * 0.18
        return lane.y_of(key_value(project, ref))

    def _draw_keys(self, project: Project, tracks: Iterable[str] | None = None) -> None:
        """The keys as dots. The positions of `tracks` (all when None) are recomputed, the
        others' kept; on the pose lane over the band of the renderer's believable range, keys
        beyond it are marked: a triangle outlined in the playhead's colour."""
        for name in [s.name for s in TRACKS if s.keyed] if tracks is None else tracks:
            spec = TRACK[name]
            if not spec.keyed:
                continue
            refs = [KeyRef(name, i, field) for i in range(len(spec.items(project.tracks)))
                    for field in spec.plotted]
            points = np.array([(key_time(project, r), self._point_y(project, r)) for r in refs])
            self._track_dots[name] = (refs, points.reshape(-1, 2))
        ordered = [self._track_dots[s.name] for s in TRACKS if s.name in self._track_dots]
        self._refs = [ref for refs, _ in ordered for ref in refs]
        self._points = (np.concatenate([points for _, points in ordered])
                        if ordered else np.zeros((0, 2)))
        selected = set(self._selected)
        spots = []
        for ref, (x, y) in zip(self._refs, self._points):
            spec = TRACK[ref.track]
            color = theme.SELECTED if ref in selected else _key_color(ref)
            spot = {
                "pos": (x, y), "size": 11 if ref in selected else 9,
                "symbol": "o" if spec.interpolated else "d",
                "brush": pg.mkBrush(color), "pen": pg.mkPen(theme.BASE, width=1),
            }
            if spec.kind == "curve" and not believable(ref.track, key_value(project, ref)):
                spot["symbol"] = "t"  # beyond the believable range: allowed, and marked
                spot["pen"] = pg.mkPen(theme.PLAYHEAD, width=2)
            if getattr(key_list(project, ref.track)[ref.index], "source", None) == "auto":
                # automatic blinks: hollow, so the artist's own stand out
                spot["brush"] = pg.mkBrush(theme.BASE)
                spot["pen"] = pg.mkPen(color, width=1.5)
            spots.append(spot)
        self._scatter.setData(spots)

    # ---- geometry, for the gestures and tests -------------------------------------------
    def key_scene_pos(self, ref: KeyRef) -> QPointF:
        """Where a key is drawn, in view (widget) pixels: for tests and benchmarks."""
        i = self._refs.index(ref)
        x, y = self._points[i]
        return self.view.mapFromScene(self.vb.mapViewToScene(QPointF(float(x), float(y))))

    def time_to_view(self, t: float, lane: str, v: float | None = None) -> QPointF:
        """Where time t (and value v, else the middle) of a lane is drawn, in view pixels."""
        band = self._lane[lane]
        y = band.centre if v is None else band.y_of(v)
        return self.view.mapFromScene(self.vb.mapViewToScene(QPointF(t, y)))

    def lane_at(self, y: float) -> Lane | None:
        return next((lane for lane in self.lanes if lane.contains(y)), None)
