"""What each lane draws: curves, held-key bars, event ticks, segments and the audio.

A LanePainter owns the pyqtgraph items of every lane and redraws one lane at a time, reading
the track registry for which tracks a lane holds, how each kind is drawn and in which colours.
The Timeline asks it to redraw only the lanes whose tracks changed; `redraws` counts the lane
redraws, for tests and benchmarks.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from studio.doc.project import Project
from studio.doc.tracks import TRACK, TrackSpec, lane_tracks, sample_track
from studio.ui import theme
from studio.ui.timeline.lanes import Lane, pose_bands

LABEL_PAD_PX = 4  # free space a segment label needs beside its text


def series(track: str, field: str) -> str:
    """The name of one drawn curve (and its colour in theme.TRACK_COLORS)."""
    return f"{track}.{field}" if TRACK[track].kind == "keys" else track


def series_of_lane(lane: str) -> list[tuple[str, str]]:
    """(series, legend) for every curve or event row a lane shows, in registry order."""
    out = []
    for spec in lane_tracks(lane):
        if spec.kind == "curve" or spec.kind == "events":
            out.append((spec.name, spec.legend_of("v")))
        elif spec.kind == "keys":
            out += [(series(spec.name, name), spec.legend_of(name)) for name in spec.plotted]
    return out


class LanePainter:
    """The drawn content of the lanes in one view box."""

    def __init__(self, vb: pg.ViewBox, lanes: list[Lane]) -> None:
        self.vb = vb
        self.lane = {lane.name: lane for lane in lanes}
        self.redraws: Counter[str] = Counter()
        self.waveform: np.ndarray | None = None
        self.auto_events: list[float] = []  # automatic blinks the project does not store
        for lane in lanes:
            band = QGraphicsRectItem(QRectF(-1e4, lane.top, 2e4, lane.height))
            band.setBrush(QColor(theme.PANEL))
            band.setPen(QPen(Qt.NoPen))
            band.setZValue(-100)
            vb.addItem(band, ignoreBounds=True)
        self._waveform_top = pg.PlotDataItem(pen=pg.mkPen(theme.WAVEFORM))
        self._waveform_bottom = pg.PlotDataItem(pen=pg.mkPen(theme.WAVEFORM))
        vb.addItem(pg.FillBetweenItem(self._waveform_top, self._waveform_bottom,
                                      brush=pg.mkBrush(theme.WAVEFORM)))
        self.segments: dict[str, pg.BarGraphItem] = {}
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.labels: dict[str, list[tuple[pg.TextItem, float]]] = {}  # label, span in seconds
        self.ticks: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for spec in TRACK.values():
            self._make_items(spec)
        self.believable_bands = self._pose_bands()

    def _make_items(self, spec: TrackSpec) -> None:
        if spec.kind == "segments":
            self.segments[spec.name] = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
            self.vb.addItem(self.segments[spec.name])
            self.labels[spec.name] = []
        elif spec.kind == "events":
            color = QColor(spec.color)
            auto = pg.PlotDataItem(pen=pg.mkPen(color, width=1, style=Qt.DotLine),
                                   connect="pairs")
            user = pg.PlotDataItem(pen=pg.mkPen(color, width=2), connect="pairs")
            self.ticks[spec.name] = (auto, user)
            self.vb.addItem(auto)
            self.vb.addItem(user)
        elif spec.kind == "keys" and not spec.interpolated:
            self.bars[spec.name] = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
            self.vb.addItem(self.bars[spec.name])
            self.labels[spec.name] = []
        if spec.kind in ("curve", "keys"):
            for name in spec.plotted:
                key = series(spec.name, name)
                self.curves[key] = pg.PlotDataItem(pen=pg.mkPen(theme.TRACK_COLORS[key], width=2))
                self.vb.addItem(self.curves[key])

    def _pose_bands(self) -> list[QGraphicsRectItem]:
        """The renderer's believable range, as bands on the pose lane."""
        bands = []
        for top, bottom, tracks in pose_bands(self.lane["pose"]):
            band = QGraphicsRectItem(QRectF(-1e4, top, 2e4, bottom - top))
            band.setBrush(QColor(255, 255, 255, 10))
            band.setPen(QPen(Qt.NoPen))
            band.setZValue(-90)
            band.setToolTip("believable for " + ", ".join(t.removeprefix("head_") for t in tracks))
            self.vb.addItem(band, ignoreBounds=True)
            bands.append(band)
        return bands

    # ---- drawing ------------------------------------------------------------------------
    def draw(self, project: Project | None, lanes, tracks=None) -> None:
        """Redraw `lanes` (names); within them only `tracks` when given (a drag's)."""
        times = np.arange(project.frame_count()) / project.fps if project is not None else None
        for name in lanes:
            self.redraws[name] += 1
            if name == "waveform":
                self._draw_audio(project)
                continue
            for spec in lane_tracks(name):
                if tracks is None or spec.name in tracks:
                    self._draw_track(project, spec, times)
        self.update_label_visibility()

    def _draw_track(self, project: Project | None, spec: TrackSpec, times) -> None:
        lane = self.lane[spec.lane]
        if spec.kind == "segments":
            self._draw_segments(project, spec, lane)
        elif spec.kind == "events":
            self._draw_events(project, spec, lane)
        elif spec.interpolated:  # curves and interpolated keys
            values = sample_track(project.tracks, spec.name, times) if project else {}
            for name in spec.plotted:
                item = self.curves[series(spec.name, name)]
                if project is None:
                    item.setData([], [])
                else:
                    item.setData(times, lane.ys_of(values[name]))
        else:
            self._draw_held(project, spec, lane, times)

    def _draw_audio(self, project: Project | None) -> None:
        lane = self.lane["waveform"]
        if project is None or self.waveform is None or len(self.waveform) == 0:
            self._waveform_top.setData([], [])
            self._waveform_bottom.setData([], [])
            return
        t, peak = self.waveform[:, 0], self.waveform[:, 1]
        self._waveform_top.setData(t, lane.centre - peak * lane.height * 0.45)
        self._waveform_bottom.setData(t, lane.centre + peak * lane.height * 0.45)

    def _draw_events(self, project: Project | None, spec: TrackSpec, lane: Lane) -> None:
        """Every event the clip shows, as a tick across the lane: dotted for automatic ones."""
        events = spec.items(project.tracks) if project is not None else []
        auto = [e.t for e in events if getattr(e, "source", "user") == "auto"]
        auto += self.auto_events if project is not None else []
        user = [e.t for e in events if getattr(e, "source", "user") != "auto"]
        for item, marks in zip(self.ticks[spec.name], (auto, user)):
            item.setData(np.repeat(np.asarray(marks, dtype=float), 2),
                         np.tile([lane.top + 0.3 * lane.height, lane.bottom - 0.05], len(marks)))

    def _clear_labels(self, track: str) -> None:
        for item, _ in self.labels[track]:
            self.vb.removeItem(item)
        self.labels[track] = []

    def _draw_held(self, project: Project | None, spec: TrackSpec, lane: Lane, times) -> None:
        """Held keys (emotion): a bar per key, coloured by its choice and as opaque as its value,
        named by a label, and a line through the key values."""
        self._clear_labels(spec.name)
        keys = sorted(spec.items(project.tracks), key=spec.order) if project is not None else []
        value = spec.plotted[0]
        curve = self.curves[series(spec.name, value)]
        if not keys:
            curve.setData([], [])
            self.bars[spec.name].setOpts(x0=[], x1=[], y0=[], y1=[])
            return
        xs = [0.0] + [k.t for k in keys] + [times[-1]]
        ys = [getattr(keys[0], value)] + [getattr(k, value) for k in keys] + [
            getattr(keys[-1], value)]
        curve.setData(xs, lane.ys_of(ys))
        choice = next((f.name for f in spec.fields if f.choices), None)
        end = project.duration if project.duration > 0 else keys[-1].t + 1.0
        starts = [k.t for k in keys]
        ends = starts[1:] + [end]
        brushes = []
        for k in keys:
            c = QColor(theme.CHOICE_COLORS.get(getattr(k, choice, ""), theme.MUTED))
            c.setAlpha(int(60 + 120 * float(np.clip(getattr(k, value), 0.0, 1.0))))
            brushes.append(c)
        self.bars[spec.name].setOpts(
            x0=starts, x1=ends, y0=[lane.top + 0.04] * len(keys),
            y1=[lane.bottom - 0.04] * len(keys), brushes=brushes,
            pens=[pg.mkPen(None)] * len(keys))
        if choice is None:
            return
        for k, e in zip(keys, ends):
            label = pg.TextItem(getattr(k, choice), color=theme.TEXT, anchor=(0, 0))
            label.setPos(k.t, lane.top + 0.02)
            self.vb.addItem(label, ignoreBounds=True)
            self.labels[spec.name].append((label, e - k.t))

    def _draw_segments(self, project: Project | None, spec: TrackSpec, lane: Lane) -> None:
        self._clear_labels(spec.name)
        segments = spec.items(project.tracks) if project is not None else []
        item = self.segments[spec.name]
        if not segments:
            item.setOpts(x0=[], x1=[], y0=[], y1=[])
            return
        name = spec.fields[0].name
        color = QColor(spec.color)
        user = QColor(theme.ACCENT).lighter(130)
        item.setOpts(
            x0=[s.start for s in segments], x1=[s.end for s in segments],
            y0=[lane.top + 0.06] * len(segments), y1=[lane.bottom - 0.06] * len(segments),
            brushes=[user if s.source == "user" else color for s in segments],
            pens=[pg.mkPen(theme.BASE)] * len(segments))
        for s in segments:
            fill = user if s.source == "user" else color
            # dark text on the light fill of the artist's segments: light text was unreadable
            text = theme.BASE if fill.lightnessF() > 0.6 else theme.TEXT
            label = pg.TextItem(getattr(s, name), color=text, anchor=(0.5, 0.5))
            label.setPos((s.start + s.end) / 2, lane.centre)
            label.setZValue(5)
            self.vb.addItem(label, ignoreBounds=True)
            self.labels[spec.name].append((label, s.end - s.start))

    def update_label_visibility(self) -> None:
        """A label shows only where its segment, at the current zoom, is wider than the label's
        text (so neighbours never overlap); the others are named on hover."""
        px = self.vb.viewPixelSize()[0] or 1.0
        for labels in self.labels.values():
            for label, width in labels:
                visible = width / px >= label.textItem.boundingRect().width() + LABEL_PAD_PX
                # only on change: with PySide6 6.12, pyqtgraph's itemChange drops a reference to
                # True/False on every setVisible, which crashes the interpreter after enough calls
                if label.isVisible() != visible:
                    label.setVisible(visible)
