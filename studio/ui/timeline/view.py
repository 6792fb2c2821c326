"""The timeline widget: every track in one pyqtgraph view, keys edited by mouse and keyboard.

It never edits the project itself. Gestures come out as signals carrying plain KeyMove/KeyRef
data: `keysDragging` while a drag runs (for the live preview) and one `keysMoved` when it ends,
so the window can push exactly one undo command per gesture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QPen
from PySide6.QtWidgets import (
    QFrame, QGraphicsRectItem, QGraphicsTextItem, QMenu, QScrollArea, QVBoxLayout, QWidget,
)

from studio.conditioning.visemes import VISEME_SHAPES
from studio.doc.curves import sample_curve
from studio.doc.project import INTERPOLATIONS, POSE_TRACKS, STYLE_FIELDS, Project
from studio.ui import theme
from studio.ui.timeline.keys import (
    GAZE_FIELDS, MULTI_FIELDS, KeyMove, KeyRef, key_interp, key_list, key_refs, key_time,
    key_value, moved_copy, record_values, snap_time, tracks_of,
)
from studio.ui.timeline.lanes import LANE_TRACKS, Lane, believable, build_lanes, lane_of_track, pose_bands

PICK_RADIUS_PX = 8.0
LABEL_COLUMN_PX = 176  # lane names with their curve legends
HEADER_MARGIN_PX = 6
LABEL_PAD_PX = 4  # free space a segment label needs beside its text
LANE_UNIT_PX = 36  # the least pixels per lane height unit: the gaze lane's name and legend fit
AXES_PX = 64  # the time axes above and below the lanes
MIN_HEIGHT_PX = 140  # the dock's least height; below the lanes' readable height it scrolls


@dataclass
class _Drag:
    refs: list[KeyRef]
    origin: list[tuple[float, float]]
    start: QPointF
    start_screen: QPointF
    undrawn: list[KeyMove] | None = None  # the latest moves, until the lane shows them


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

    def mouseDragEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        if ev.isStart() and self._timeline._pick(
                self._timeline.vb.mapSceneToView(ev.buttonDownScenePos())) is not None:
            ev.ignore()
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


class Timeline(QWidget):
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
        self._dragging: _Drag | None = None
        self._band: QGraphicsRectItem | None = None
        self.active = ("head_yaw", "v")  # the track K adds to
        self._waveform: np.ndarray | None = None
        self._auto_blinks: list[float] = []
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
        for lane in self.lanes:
            band = QGraphicsRectItem(QRectF(-1e4, lane.top, 2e4, lane.height))
            band.setBrush(QColor(theme.PANEL))
            band.setPen(QPen(Qt.NoPen))
            band.setZValue(-100)
            self.vb.addItem(band, ignoreBounds=True)

        self._waveform_top = pg.PlotDataItem(pen=pg.mkPen(theme.TRACK_COLORS["waveform"]))
        self._waveform_bottom = pg.PlotDataItem(pen=pg.mkPen(theme.TRACK_COLORS["waveform"]))
        fill = pg.FillBetweenItem(self._waveform_top, self._waveform_bottom,
                                  brush=pg.mkBrush(theme.TRACK_COLORS["waveform"]))
        self.vb.addItem(fill)
        self._visemes = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
        self.vb.addItem(self._visemes)
        self._viseme_labels: list[tuple[pg.TextItem, float]] = []  # label, segment seconds
        self.view.scene().sigMouseMoved.connect(self._hover)
        self._emotion_bars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
        self.vb.addItem(self._emotion_bars)
        self._emotion_labels: list[tuple[pg.TextItem, float]] = []
        blink_color = QColor(theme.TRACK_COLORS["blinks"])
        self._auto_blink_item = pg.PlotDataItem(
            pen=pg.mkPen(blink_color, width=1, style=Qt.DotLine), connect="pairs")
        self._user_blink_item = pg.PlotDataItem(pen=pg.mkPen(blink_color, width=2),
                                                connect="pairs")
        self.vb.addItem(self._auto_blink_item)
        self.vb.addItem(self._user_blink_item)
        self._curves: dict[str, pg.PlotDataItem] = {}
        gaze = tuple(f"gaze_{name}" for name in GAZE_FIELDS)
        for name in POSE_TRACKS + ("blink_rate", "emotion") + STYLE_FIELDS + gaze:
            item = pg.PlotDataItem(pen=pg.mkPen(theme.TRACK_COLORS[name], width=2))
            self._curves[name] = item
            self.vb.addItem(item)
        self._headers = self._lane_headers({
            "pose": [(n, n.removeprefix("head_")) for n in POSE_TRACKS],
            "gaze": [(n, n.removeprefix("gaze_")) for n in gaze],
            "blinks": [("blink_rate", "rate"), ("blinks", "blinks, dotted: auto")],
            "style": [(n, n.replace("_", " ")) for n in STYLE_FIELDS],
        })
        self.vb.sigResized.connect(lambda *_: self._place_headers())
        # a wider view fits more labels: also when the dock is shown or the window resized
        self.vb.sigResized.connect(lambda *_: self._update_label_visibility())
        self._scatter = _KeyDots(pxMode=True)
        self._scatter.setZValue(10)
        self.vb.addItem(self._scatter)
        self.playhead = _Playhead(self, pos=0.0, angle=90, movable=True,
                                        pen=pg.mkPen(theme.PLAYHEAD, width=2),
                                        hoverPen=pg.mkPen(theme.SELECTED, width=3))
        self.playhead.setZValue(20)
        self.playhead.sigPositionChanged.connect(self._playhead_dragged)
        self.vb.addItem(self.playhead, ignoreBounds=True)
        self.vb.sigXRangeChanged.connect(lambda *_: self._update_label_visibility())

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

    def readable_height(self) -> int:
        """The view's height at which every lane is readable: name and legend fit its band."""
        return int(self.lanes[-1].bottom * LANE_UNIT_PX + AXES_PX)

    def _lane_headers(self, legends: dict[str, list[tuple[str, str]]]):
        """Each lane's name and, under it, which colour is which curve: drawn in the label
        column, so no legend ever covers the curves, whatever the zoom."""
        left = self.plot.getAxis("left")
        headers = []
        for lane in self.lanes:
            entries = "&nbsp; ".join(
                f'<span style="color:{theme.TRACK_COLORS[name]}">&#9644;</span>&nbsp;{label}'
                for name, label in legends.get(lane.name, []))
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
                    auto_blinks: list[float] | None = None, keep_view: bool = True) -> None:
        """Show a project. `waveform` is (N, 2) time/peak pairs in 0..1."""
        first = self.project is None
        self.project = project
        if waveform is not None:
            self._waveform = waveform
        if auto_blinks is not None:
            self._auto_blinks = list(auto_blinks)
        if project is None:
            self._selected = []
            self._draw(None)
            return
        self._fps = project.fps
        valid = set(key_refs(project))
        self._selected = [r for r in self._selected if r in valid]
        self._draw(project)
        if first or not keep_view:
            self.fit()

    def set_selection(self, refs: list[KeyRef]) -> None:
        self._selected = list(refs)
        if refs:
            self.active = (refs[-1].track, refs[-1].field)
        if self.project is not None:
            self._draw_keys(self.project)
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

    def _draw(self, project: Project | None) -> None:
        self._draw_audio(project)
        self._draw_curves(project)
        self._draw_segments(project)
        if project is not None:
            self._draw_keys(project)
        else:
            self._scatter.setData([])
            self._refs, self._points = [], np.zeros((0, 2))

    def _times(self, project: Project) -> np.ndarray:
        return np.arange(project.frame_count()) / project.fps

    def _draw_audio(self, project: Project | None) -> None:
        lane = self._lane["waveform"]
        if project is None or self._waveform is None or len(self._waveform) == 0:
            self._waveform_top.setData([], [])
            self._waveform_bottom.setData([], [])
            return
        t, peak = self._waveform[:, 0], self._waveform[:, 1]
        self._waveform_top.setData(t, lane.centre - peak * lane.height * 0.45)
        self._waveform_bottom.setData(t, lane.centre + peak * lane.height * 0.45)

    def _draw_curves(self, project: Project | None, tracks=None) -> None:
        """Redraw the curves of `tracks` (every track when None): a drag redraws only what it
        moves."""
        if project is None:
            for item in (*self._curves.values(), self._auto_blink_item, self._user_blink_item):
                item.setData([], [])
            return
        times = self._times(project)
        drawers = {
            **{name: self._draw_pose for name in POSE_TRACKS},
            "blink_rate": self._draw_blink_rate, "blinks": self._draw_blinks,
            "emotion": self._draw_emotion_curve, "style": self._draw_records,
            "gaze": self._draw_records,
        }
        for track in drawers if tracks is None else tracks:
            drawers[track](project, track, times)

    def _draw_pose(self, project: Project, track: str, times: np.ndarray) -> None:
        values = sample_curve(project.tracks.pose_curve(track), times)
        self._curves[track].setData(times, self._lane["pose"].ys_of(values))

    def _draw_blink_rate(self, project: Project, track: str, times: np.ndarray) -> None:
        rate = sample_curve(project.tracks.blink_rate, times)
        self._curves["blink_rate"].setData(times, self._lane["blinks"].ys_of(rate))

    def _draw_emotion_curve(self, project: Project, track: str, times: np.ndarray) -> None:
        keys = sorted(project.tracks.emotion, key=lambda k: k.t)
        if not keys:
            self._curves["emotion"].setData([], [])
            return
        xs = [0.0] + [k.t for k in keys] + [times[-1]]
        ys = [keys[0].intensity] + [k.intensity for k in keys] + [keys[-1].intensity]
        self._curves["emotion"].setData(xs, self._lane["emotion"].ys_of(ys))

    def _draw_records(self, project: Project, track: str, times: np.ndarray) -> None:
        lane = self._lane[track]
        sampled = record_values(project, track, times)
        for name in MULTI_FIELDS[track]:
            item = self._curves[name if track == "style" else f"{track}_{name}"]
            item.setData(times, lane.ys_of(sampled[name]))

    def _draw_blinks(self, project: Project, track: str, times: np.ndarray) -> None:
        """Every blink the clip shows, as a tick across the lane: dotted for automatic ones."""
        auto = [b.t for b in project.tracks.blinks if b.source == "auto"] + self._auto_blinks
        user = [b.t for b in project.tracks.blinks if b.source != "auto"]
        lane = self._lane["blinks"]
        for item, marks in ((self._auto_blink_item, auto), (self._user_blink_item, user)):
            item.setData(np.repeat(np.asarray(marks, dtype=float), 2),
                         np.tile([lane.top + 0.3 * lane.height, lane.bottom - 0.05], len(marks)))

    def _draw_segments(self, project: Project | None) -> None:
        for item, _ in self._viseme_labels + self._emotion_labels:
            self.vb.removeItem(item)
        self._viseme_labels, self._emotion_labels = [], []
        segments = project.tracks.visemes if project is not None else []
        lane = self._lane["visemes"]
        if segments:
            color = QColor(theme.TRACK_COLORS["visemes"])
            user = QColor(theme.ACCENT).lighter(130)
            self._visemes.setOpts(
                x0=[s.start for s in segments], x1=[s.end for s in segments],
                y0=[lane.top + 0.06] * len(segments), y1=[lane.bottom - 0.06] * len(segments),
                brushes=[user if s.source == "user" else color for s in segments],
                pens=[pg.mkPen(theme.BASE)] * len(segments))
            for s in segments:
                label = pg.TextItem(s.viseme, color=theme.TEXT, anchor=(0.5, 0.5))
                label.setPos((s.start + s.end) / 2, lane.centre)
                label.setZValue(5)
                self.vb.addItem(label, ignoreBounds=True)
                self._viseme_labels.append((label, s.end - s.start))
        else:
            self._visemes.setOpts(x0=[], x1=[], y0=[], y1=[])
        keys = sorted(project.tracks.emotion, key=lambda k: k.t) if project is not None else []
        lane = self._lane["emotion"]
        if keys:
            end = project.duration if project.duration > 0 else keys[-1].t + 1.0
            starts = [k.t for k in keys]
            ends = starts[1:] + [end]
            brushes = []
            for k in keys:
                c = QColor(theme.EMOTION_COLORS.get(k.emotion, theme.MUTED))
                c.setAlpha(int(60 + 120 * k.intensity))
                brushes.append(c)
            self._emotion_bars.setOpts(
                x0=starts, x1=ends, y0=[lane.top + 0.04] * len(keys),
                y1=[lane.bottom - 0.04] * len(keys), brushes=brushes,
                pens=[pg.mkPen(None)] * len(keys))
            for k, e in zip(keys, ends):
                label = pg.TextItem(k.emotion, color=theme.TEXT, anchor=(0, 0))
                label.setPos(k.t, lane.top + 0.02)
                self.vb.addItem(label, ignoreBounds=True)
                self._emotion_labels.append((label, e - k.t))
        else:
            self._emotion_bars.setOpts(x0=[], x1=[], y0=[], y1=[])
        self._update_label_visibility()

    def _update_label_visibility(self) -> None:
        """A label shows only where its segment, at the current zoom, is wider than the label's
        text (so neighbours never overlap); the others are named on hover."""
        px = self.vb.viewPixelSize()[0] or 1.0
        for labels in (self._viseme_labels, self._emotion_labels):
            for label, width in labels:
                visible = width / px >= label.textItem.boundingRect().width() + LABEL_PAD_PX
                # only on change: with PySide6 6.12, pyqtgraph's itemChange drops a reference to
                # True/False on every setVisible, which crashes the interpreter after enough calls
                if label.isVisible() != visible:
                    label.setVisible(visible)

    def _point_y(self, project: Project, ref: KeyRef) -> float:
        if ref.track == "blinks":
            lane = self._lane["blinks"]
            return lane.top + lane.height * 0.18
        return self._lane[lane_of_track(ref.track)].y_of(key_value(project, ref))

    def _draw_keys(self, project: Project) -> None:
        """The keys as dots; on the pose lane over the band of the renderer's believable range,
        with keys beyond it marked: a triangle outlined in the playhead's colour."""
        if not hasattr(self, "_believable_bands"):
            self._believable_bands = []
            for top, bottom, tracks in pose_bands(self._lane["pose"]):
                band = QGraphicsRectItem(QRectF(-1e4, top, 2e4, bottom - top))
                band.setBrush(QColor(255, 255, 255, 10))
                band.setPen(QPen(Qt.NoPen))
                band.setZValue(-90)
                band.setToolTip("believable for " + ", ".join(t.removeprefix("head_") for t in tracks))
                self.vb.addItem(band, ignoreBounds=True)
                self._believable_bands.append(band)
        self._refs = key_refs(project)
        self._points = np.array(
            [(key_time(project, r), self._point_y(project, r)) for r in self._refs]
        ).reshape(-1, 2)
        selected = set(self._selected)
        spots = []
        for ref, (x, y) in zip(self._refs, self._points):
            color = theme.SELECTED if ref in selected else _key_color(ref)
            spot = {
                "pos": (x, y), "size": 11 if ref in selected else 9,
                "symbol": "d" if ref.track in ("blinks", "emotion") else "o",
                "brush": pg.mkBrush(color), "pen": pg.mkPen(theme.BASE, width=1),
            }
            if ref.track in POSE_TRACKS and not believable(ref.track, key_value(project, ref)):
                spot["symbol"] = "t"  # beyond the believable range: allowed, and marked
                spot["pen"] = pg.mkPen(theme.PLAYHEAD, width=2)
            if ref.track == "blinks" and key_list(project, "blinks")[ref.index].source == "auto":
                # automatic blinks: hollow, so the artist's own stand out
                spot["brush"] = pg.mkBrush(theme.BASE)
                spot["pen"] = pg.mkPen(color, width=1.5)
            spots.append(spot)
        self._scatter.setData(spots)

    # ---- view -> signals ----------------------------------------------------------------
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
        if lane is None or lane.name not in LANE_TRACKS or self.project is None:
            return None
        choices = LANE_TRACKS[lane.name]
        t = np.array([max(pos.x(), 0.0)])
        if lane.name == "blinks":
            # on the rate curve: a rate key; anywhere else in the lane: a blink
            rate = sample_curve(self.project.tracks.blink_rate, t)[0]
            near = abs(lane.y_of(rate) - pos.y()) / self.vb.viewPixelSize()[1] <= PICK_RADIUS_PX
            self.active = ("blink_rate", "v") if near else ("blinks", "t")
            return self.active
        best, best_d = choices[0], float("inf")
        for track, field in choices:
            if track in MULTI_FIELDS:
                v = record_values(self.project, track, t)[field][0]
            elif track == "emotion":
                best = (track, field)
                break
            else:
                v = sample_curve(getattr(self.project.tracks, track), t)[0]
            d = abs(lane.y_of(v) - pos.y())
            if d < best_d:
                best, best_d = (track, field), d
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
            v = v0 if ref.track == "blinks" else lane.clamp(v0 + lane.v_per_y() * dy)
            moves.append(KeyMove(ref, t, v))
        if ev.isFinish():
            self._dragging = None
            changed = any(
                abs(m.t - t0) > 1e-9 or abs(m.v - v0) > 1e-9
                for m, (t0, v0) in zip(moves, drag.origin)
            )
            self._draw(self.project)
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
        self._draw_curves(preview, tracks_of(new_refs))
        self._draw_keys(preview)
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
        menu.addSection(f"Mouth shape {segment.start:.2f}–{segment.end:.2f} s")
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
    if ref.track == "style":
        return theme.TRACK_COLORS[ref.field]
    if ref.track == "gaze":
        return theme.TRACK_COLORS[f"gaze_{ref.field}"]
    return theme.TRACK_COLORS[ref.track]
