"""The welcome page: the studio's empty state, shown while the project has no portrait and no voice.

A first run has no project and nothing in the panels to look at, so the window offers the three
ways in instead: drop (or choose) a portrait and a voice clip, open the bundled sample, or open a
project, recent ones first. The page only asks; the window does the opening through the same
paths as its menus and drops, so nothing here can diverge from them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.doc.file_kinds import AUDIO_SUFFIXES, IMAGE_SUFFIXES
from studio.resources import APP_ICON, SAMPLE_PORTRAIT
from studio.ui import theme
from studio.ui.help import APP_NAME
from studio.ui.media import dropped_files

COLUMN_WIDTH = 760  # the column's widest: lines stay short enough to read on a wide window
STACK_BELOW = 500  # narrower than this, the sample and recent cards stack instead of side by side
MAX_RECENT_SHOWN = 5
THUMBNAIL = 84

_STYLE = f"""
#welcomeBody {{ background: {theme.BACKGROUND}; }}
QLabel {{ color: {theme.TEXT}; background: transparent; }}
QLabel[muted="true"] {{ color: {theme.MUTED}; }}
#card {{ background: {theme.PANEL}; border: 1px solid #34373c; border-radius: 8px; }}
QPushButton {{ padding: 6px 14px; }}
QPushButton#primary {{ background: {theme.ACCENT}; border-color: {theme.ACCENT}; color: white; }}
QPushButton#primary:hover {{ background: #6a9dff; }}
QPushButton#recent {{ background: transparent; border: none; border-radius: 4px;
    padding: 0px; text-align: left; }}
QPushButton#recent:hover {{ background: #33363b; }}
"""


def _label(text: str, size: float = 1.0, muted: bool = False, bold: bool = False) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * size)
    font.setBold(bold)
    label.setFont(font)
    label.setProperty("muted", muted)
    return label


def _suffixes(suffixes: tuple[str, ...]) -> str:
    return " ".join(s.lstrip(".") for s in sorted(suffixes))


class DropArea(QFrame):
    """The large dashed target: dropped files, or the two choose buttons, start a project."""

    pathsDropped = Signal(list)  # list[Path]
    mediaRequested = Signal(str)  # "portrait" or "audio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setMinimumHeight(180)
        self.setMaximumHeight(320)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        self._hovering = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(8)
        layout.addStretch(1)
        title = _label("Drop a portrait and a voice clip", 1.45)
        title.setAlignment(Qt.AlignCenter)
        detail = _label("A photo with one face and a recording of speech: the portrait starts "
                        "talking at once.", muted=True)
        formats = _label(f"{_suffixes(IMAGE_SUFFIXES)}   ·   {_suffixes(AUDIO_SUFFIXES)}", 0.85,
                         muted=True)
        for label in (title, detail, formats):
            label.setAlignment(Qt.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addSpacing(10)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addStretch(1)
        self.choose_portrait = QPushButton("Choose portrait…")
        self.choose_voice = QPushButton("Choose voice clip…")
        for button, kind in ((self.choose_portrait, "portrait"), (self.choose_voice, "audio")):
            button.clicked.connect(lambda _=False, k=kind: self.mediaRequested.emit(k))
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        fill = QColor(theme.ACCENT if self._hovering else theme.PANEL)
        fill.setAlpha(40 if self._hovering else 150)
        painter.setBrush(fill)
        pen = QPen(QColor(theme.ACCENT if self._hovering else "#5a5f68"), 2, Qt.DashLine)
        pen.setDashPattern([5, 4])
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 12, 12)
        painter.end()

    def _set_hovering(self, on: bool) -> None:
        self._hovering = on
        self.update()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._set_hovering(True)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._set_hovering(False)

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._set_hovering(False)
        event.acceptProposedAction()
        self.pathsDropped.emit(dropped_files(event.mimeData()))


class RecentProject(QPushButton):
    """One recent project: its name, and its folder elided in the middle to whatever fits."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recent")
        self.path = path
        self.setToolTip(str(path))
        self.setCursor(Qt.PointingHandCursor)
        self._folder_text = str(path.parent).replace(str(Path.home()), "~", 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 5, 8, 5)
        layout.setSpacing(1)
        self.name = _label(path.stem)
        self.folder = _label(self._folder_text, 0.9, muted=True)
        self.folder.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        for label in (self.name, self.folder):
            label.setAttribute(Qt.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return self.layout().sizeHint().expandedTo(QSize(120, 0))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(80, self.layout().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        width = max(0, self.width() - 16)
        self.folder.setText(self.folder.fontMetrics().elidedText(
            self._folder_text, Qt.ElideMiddle, width))


def _rounded(pixmap: QPixmap, size: int, radius: float) -> QPixmap:
    """The sample portrait as a square thumbnail with rounded corners, like the cards around it."""
    square = pixmap.scaled(size, size, Qt.KeepAspectRatioByExpanding, Qt.SmoothTransformation)
    ratio = pixmap.devicePixelRatio()
    result = QPixmap(size, size)
    result.setDevicePixelRatio(ratio)
    result.fill(Qt.transparent)
    painter = QPainter(result)
    painter.setRenderHint(QPainter.Antialiasing)
    clip = QPainterPath()
    clip.addRoundedRect(QRectF(0, 0, size, size), radius, radius)
    painter.setClipPath(clip)
    painter.drawPixmap((size - square.width()) // 2, (size - square.height()) // 2, square)
    painter.end()
    return result


class WelcomePage(QScrollArea):
    """The empty state; it scrolls rather than crowd when the window is small."""

    pathsDropped = Signal(list)  # list[Path], dropped on the drop area
    mediaRequested = Signal(str)  # "portrait" or "audio", from the choose buttons
    sampleRequested = Signal()
    openRequested = Signal()
    recentRequested = Signal(object)  # Path of a recent project

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("welcomeBody")
        body.setStyleSheet(_STYLE)
        outer = QHBoxLayout(body)
        outer.setContentsMargins(24, 24, 24, 24)
        column = QWidget()
        column.setMaximumWidth(COLUMN_WIDTH)
        outer.addStretch(1)
        outer.addWidget(column, 20)
        outer.addStretch(1)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(18)
        layout.addStretch(1)
        layout.addLayout(self._header())
        self.drop_area = DropArea()
        self.drop_area.pathsDropped.connect(self.pathsDropped)
        self.drop_area.mediaRequested.connect(self.mediaRequested)
        layout.addWidget(self.drop_area, 3)
        self.cards = QBoxLayout(QBoxLayout.LeftToRight)
        self.cards.setSpacing(16)
        self.cards.addWidget(self._sample_card(), 1)
        self.cards.addWidget(self._recent_card(), 1)
        layout.addLayout(self.cards)
        layout.addStretch(1)
        self.setWidget(body)
        self.recent: list[RecentProject] = []
        self.set_recent([])

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        icon = QLabel()
        icon.setPixmap(QIcon(str(APP_ICON)).pixmap(56, 56))
        icon.setFixedSize(56, 56)
        self.title = _label(APP_NAME, 1.9, bold=True)
        self.version = _label(f"Version {__version__}  ·  animate a portrait from a voice clip",
                              muted=True)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch(1)
        text.addWidget(self.title)
        text.addWidget(self.version)
        text.addStretch(1)
        row.addWidget(icon)
        row.addLayout(text, 1)
        return row

    @staticmethod
    def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
        card = QFrame()
        card.setObjectName("card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(_label(title, 1.1, bold=True))
        return card, layout

    def _sample_card(self) -> QFrame:
        card, layout = self._card("Sample project")
        row = QHBoxLayout()
        row.setSpacing(12)
        thumbnail = QLabel()
        thumbnail.setPixmap(_rounded(QPixmap(str(SAMPLE_PORTRAIT)), THUMBNAIL, 6))
        thumbnail.setFixedSize(THUMBNAIL, THUMBNAIL)
        about = _label("A portrait reading 13 seconds of speech, with head turns, blinks and "
                       "a smile directed on the timeline.", muted=True)
        about.setWordWrap(True)
        about.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        row.addWidget(thumbnail, 0, Qt.AlignTop)
        row.addWidget(about, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.open_sample = QPushButton("Open sample project")
        self.open_sample.setObjectName("primary")
        self.open_sample.clicked.connect(self.sampleRequested)
        layout.addWidget(self.open_sample, 0, Qt.AlignLeft)
        return card

    def _recent_card(self) -> QFrame:
        card, layout = self._card("Recent projects")
        self.recent_list = QVBoxLayout()
        self.recent_list.setSpacing(2)
        self.no_recent = _label("Projects you open or save are listed here.", muted=True)
        self.no_recent.setWordWrap(True)
        layout.addLayout(self.recent_list)
        layout.addWidget(self.no_recent)
        layout.addStretch(1)
        self.open_project = QPushButton("Open project…")
        self.open_project.clicked.connect(self.openRequested)
        layout.addWidget(self.open_project, 0, Qt.AlignLeft)
        return card

    def set_recent(self, paths: list[Path]) -> None:
        """Show the most recent of `paths` (files that exist, newest first)."""
        for item in self.recent:
            self.recent_list.removeWidget(item)
            item.deleteLater()
        self.recent = []
        for path in paths[:MAX_RECENT_SHOWN]:
            item = RecentProject(path)
            item.clicked.connect(lambda _=False, p=path: self.recentRequested.emit(p))
            self.recent_list.addWidget(item)
            self.recent.append(item)
        self.no_recent.setVisible(not self.recent)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        narrow = self.viewport().width() < STACK_BELOW
        self.cards.setDirection(QBoxLayout.TopToBottom if narrow else QBoxLayout.LeftToRight)
