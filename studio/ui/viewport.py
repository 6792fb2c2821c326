"""The preview: the current frame, fitted to the widget, with optional overlays.

Painting is the only work done here: frames arrive already rendered from the worker, so a
paint never waits on the renderer.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.ui import theme

SAFE_ACTION = 0.9  # broadcast action-safe and title-safe areas
SAFE_TITLE = 0.8


def to_qimage(rgb: np.ndarray) -> QImage:
    """Wrap an RGB or RGBA uint8 array; the QImage keeps a reference-free copy."""
    rgb = np.ascontiguousarray(rgb)
    h, w, c = rgb.shape
    fmt = QImage.Format_RGBA8888 if c == 4 else QImage.Format_RGB888
    return QImage(rgb.data, w, h, rgb.strides[0], fmt).copy()


class Viewport(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 240)
        self.image: QImage | None = None
        self.frame_array: np.ndarray | None = None
        self.original: QImage | None = None
        self.landmarks: np.ndarray | None = None  # (n, 2+) pixel coordinates in the frame
        self.show_landmarks = False
        self.show_original = False
        self.show_safe_frame = False
        self.message = ""
        self.detail = ""
        self.frames_shown = 0

    def show_frame(self, rgb: np.ndarray, landmarks: np.ndarray | None = None) -> None:
        self.frame_array = rgb
        self.image = to_qimage(rgb)
        self.landmarks = landmarks
        self.frames_shown += 1
        self.update()

    def set_original(self, rgb: np.ndarray | None) -> None:
        self.original = to_qimage(rgb) if rgb is not None else None
        self.update()

    def clear(self) -> None:
        self.image = self.frame_array = self.original = self.landmarks = None
        self.update()

    def set_message(self, message: str, detail: str = "") -> None:
        """What the viewport says while it has no frame to show, and why."""
        if (message, detail) != (self.message, self.detail):
            self.message, self.detail = message, detail
            self.update()

    def set_overlay(self, name: str, on: bool) -> None:
        setattr(self, f"show_{name}", on)
        self.update()

    def _targets(self) -> tuple[QRectF | None, QRectF | None]:
        """Where the original (if shown) and the frame go, aspect kept, centred."""
        if self.image is None:
            return None, None
        margin = 12
        area = QRectF(self.rect()).adjusted(margin, margin, -margin, -margin)
        panes = 2 if self.show_original and self.original is not None else 1
        gap = 12 if panes == 2 else 0
        w, h = self.image.width(), self.image.height()
        scale = min((area.width() - gap) / (w * panes), area.height() / h)
        tw, th = w * scale, h * scale
        left = area.center().x() - (tw * panes + gap) / 2
        top = area.center().y() - th / 2
        frame = QRectF(left + (tw + gap) * (panes - 1), top, tw, th)
        original = QRectF(left, top, tw, th) if panes == 2 else None
        return original, frame

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.BACKGROUND))
        original_rect, frame_rect = self._targets()
        if frame_rect is None:
            self._paint_empty(painter)
            return
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        if original_rect is not None:
            painter.drawImage(original_rect, self.original)
            self._caption(painter, original_rect, "original")
        self._checkerboard(painter, frame_rect)
        painter.drawImage(frame_rect, self.image)
        if original_rect is not None:
            self._caption(painter, frame_rect, "animated")
        if self.show_landmarks and self.landmarks is not None:
            self._paint_landmarks(painter, frame_rect)
        if self.show_safe_frame:
            self._paint_safe_frame(painter, frame_rect)
        painter.end()

    def _paint_empty(self, painter: QPainter) -> None:
        """The message centred, its detail wrapped below it in a column that stays readable."""
        width = min(self.width() - 80, 560)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        flags = Qt.AlignHCenter | Qt.AlignTop | Qt.TextWordWrap
        title = QFontMetricsF(font).boundingRect(QRectF(0, 0, width, 1e4), flags, self.message)
        detail = QFontMetricsF(self.font()).boundingRect(QRectF(0, 0, width, 1e4), flags,
                                                         self.detail)
        gap = 10 if self.detail else 0
        top = (self.height() - title.height() - gap - detail.height()) / 2
        left = (self.width() - width) / 2
        painter.setFont(font)
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(QRectF(left, top, width, title.height()), flags, self.message)
        painter.setFont(self.font())
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(QRectF(left, top + title.height() + gap, width, detail.height()), flags,
                         self.detail)
        painter.end()

    def _checkerboard(self, painter: QPainter, rect: QRectF) -> None:
        """Shows through transparent exports' preview; invisible under opaque frames."""
        if not self.image.hasAlphaChannel():
            return
        size = 12
        dark, light = QColor("#2b2d31"), QColor("#3a3d42")
        y = rect.top()
        row = 0
        while y < rect.bottom():
            x = rect.left() + (row % 2) * size
            painter.fillRect(QRectF(rect.left(), y, rect.width(), min(size, rect.bottom() - y)), dark)
            while x < rect.right():
                painter.fillRect(QRectF(x, y, min(size, rect.right() - x), min(size, rect.bottom() - y)), light)
                x += 2 * size
            y += size
            row += 1

    def _caption(self, painter: QPainter, rect: QRectF, text: str) -> None:
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(QRectF(rect.left(), rect.bottom() - 2, rect.width(), 16),
                         Qt.AlignHCenter | Qt.AlignTop, text)

    def _paint_landmarks(self, painter: QPainter, rect: QRectF) -> None:
        sx = rect.width() / self.image.width()
        sy = rect.height() / self.image.height()
        painter.setPen(QPen(QColor(120, 255, 160, 200), 2))
        painter.drawPoints([
            QPointF(rect.left() + x * sx, rect.top() + y * sy) for x, y in self.landmarks[:, :2]
        ])

    def _paint_safe_frame(self, painter: QPainter, rect: QRectF) -> None:
        for fraction, alpha in ((SAFE_ACTION, 160), (SAFE_TITLE, 110)):
            inset_x = rect.width() * (1 - fraction) / 2
            inset_y = rect.height() * (1 - fraction) / 2
            painter.setPen(QPen(QColor(255, 255, 255, alpha), 1, Qt.DashLine))
            painter.drawRect(rect.adjusted(inset_x, inset_y, -inset_x, -inset_y))
