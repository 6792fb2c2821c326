"""Small form pieces the inspector's panels share: fields that shrink with the dock, number
boxes that commit on Enter, an elided path, and the form layout they sit in."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QPainter, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox, QLabel,
    QSizePolicy, QSpinBox, QToolTip, QWidget,
)

FIELD_MIN_WIDTH = 64


def shrinkable(widget: QWidget) -> QWidget:
    """Let a field shrink with the dock: spin boxes size themselves for their whole range (ten
    digits for the seed) and combo boxes for their longest item, which would push the form past
    the dock's right edge."""
    widget.setMinimumWidth(FIELD_MIN_WIDTH)
    widget.setSizePolicy(QSizePolicy.Ignored, widget.sizePolicy().verticalPolicy())
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(4)
    return widget


class ElidedPath(QLabel):
    """A path shown in whatever width there is, elided in the middle (the folder's name at the
    end stays visible); the whole path is in the tooltip. Empty, it shows a grey placeholder."""

    def __init__(self, placeholder: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = ""
        self._placeholder = placeholder
        self._hint = hint
        self.setFrameShape(QFrame.StyledPanel)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(FIELD_MIN_WIDTH)

    def path(self) -> str:
        return self._path

    def set_path(self, path: str) -> None:
        self._path = path
        self.setToolTip(path or self._hint)
        self.update()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(FIELD_MIN_WIDTH, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)  # the frame; the label's own text stays empty
        painter = QPainter(self)
        area = self.contentsRect().adjusted(4, 0, -4, 0)
        text = self._path or self._placeholder
        if not self._path:
            painter.setPen(self.palette().placeholderText().color())
        painter.drawText(area, Qt.AlignVCenter | Qt.AlignLeft,
                         self.fontMetrics().elidedText(text, Qt.ElideMiddle, area.width()))


class _Clamping:
    """A number typed beyond the box's range is taken to the nearest limit on Enter, with a
    tip saying so. Qt's own boxes drop the keystroke that goes past the limit, so typing 999
    into a -90..90 field silently gave 9. What is no number at all (a field emptied, "1x3")
    gives the value back that the field had, not the nearest limit to zero."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setCorrectionMode(QAbstractSpinBox.CorrectToNearestValue)

    def _typed(self, text: str) -> float | None:
        text = text.strip()
        for part in (self.prefix(), self.suffix()):
            text = text.replace(part, "") if part else text
        value, ok = self.locale().toDouble(text.strip())
        return value if ok else None

    def validate(self, text: str, pos: int):  # noqa: D401 (Qt API)
        state = super().validate(text, pos)
        if state[0] == QValidator.Invalid and self._typed(text) is not None:
            return (QValidator.Intermediate, text, pos)
        return state

    def fixup(self, text: str) -> str:
        typed = self._typed(text)
        if typed is None:
            return self.textFromValue(self.value())  # the value before the typing
        if self.minimum() <= typed <= self.maximum():
            return super().fixup(text)
        nearest = min(max(typed, self.minimum()), self.maximum())
        shown = self.textFromValue(nearest)
        limit = "minimum" if typed < self.minimum() else "maximum"
        QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())),
                          f"{text.strip()} is {'below' if limit == 'minimum' else 'above'} "
                          f"the {limit}, {shown}", self)
        return shown


class NumberBox(_Clamping, QDoubleSpinBox):
    """A decimal field that commits on Enter and takes a number beyond its range to the limit."""


class WholeNumberBox(_Clamping, QSpinBox):
    """A whole-number field that commits on Enter and takes a number beyond its range to the
    limit."""


def whole_box(low: int, high: int, value: int | None = None, step: int = 1) -> WholeNumberBox:
    box = WholeNumberBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    if value is not None:
        box.setValue(value)
    box.setKeyboardTracking(False)
    return box


def double_box(low: float, high: float, value: float, step: float = 0.1, decimals: int = 2):
    box = NumberBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setKeyboardTracking(False)
    return box


def form_layout(group: QGroupBox) -> QFormLayout:
    form = QFormLayout(group)
    form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.DontWrapRows)
    form.setHorizontalSpacing(8)
    return form
