"""The dark look: one palette and a short style sheet, applied once to the QApplication.

Track colours come from the track registry (studio/doc/tracks.py), so the timeline, inspector
and screenshots agree.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.doc.tracks import TRACKS

BACKGROUND = "#1e1f22"
PANEL = "#26282c"
BASE = "#17181a"
TEXT = "#d8dadf"
MUTED = "#8a8f98"
ACCENT = "#4f8cff"
PLAYHEAD = "#ff5a4f"
SELECTED = "#ffd54a"

WAVEFORM = "#5c7cfa"


def _track_colors() -> dict[str, str]:
    """Each drawn series' colour, from the track registry: a track's name for curves, events
    and segments, "track.field" for each value of keyed records."""
    colors = {"waveform": WAVEFORM}
    for spec in TRACKS:
        colors[spec.name] = spec.color
        if spec.kind == "keys":
            colors.update({f"{spec.name}.{name}": spec.color_of(name) for name in spec.plotted})
    return colors


TRACK_COLORS = _track_colors()
CHOICE_COLORS = EMOTION_COLORS = {  # the colour of each choice of a held key (emotion)
    "neutral": "#868e96",
    "happy": "#fcc419",
    "sad": "#4dabf7",
    "angry": "#fa5252",
    "surprised": "#cc5de8",
    "fearful": "#20c997",
    "disgusted": "#82c91e",
}

# Style sheets cannot draw a triangle (CSS border tricks give a box): the arrows are SVG files
_ICON = (Path(__file__).parent / "icons").as_posix()

_STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; }}
QMenuBar {{ background: {PANEL}; color: {TEXT}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu {{ background: {PANEL}; color: {TEXT}; border: 1px solid #3a3d42; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; }}
QToolBar {{ background: {PANEL}; border: none; spacing: 4px; }}
QGroupBox {{ color: {MUTED}; border: 1px solid #34373c; border-radius: 4px; margin-top: 14px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {BASE}; color: {TEXT}; border: 1px solid #3a3d42; border-radius: 3px;
    padding: 2px 4px; }}
QPushButton, QToolButton {{
    background: #33363b; color: {TEXT}; border: 1px solid #44484e; border-radius: 3px;
    padding: 4px 10px; }}
QPushButton:hover, QToolButton:hover {{ background: #3d4147; }}
QPushButton:default {{ border-color: {ACCENT}; }}
QProgressBar {{ background: {BASE}; border: 1px solid #3a3d42; border-radius: 3px;
    text-align: center; color: {TEXT}; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QListWidget, QTreeWidget {{ background: {BASE}; color: {TEXT}; border: none; }}
QCheckBox {{ color: {TEXT}; spacing: 6px; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid #7a808a;
    border-radius: 2px; background: {BASE}; }}
QCheckBox::indicator:hover {{ border-color: {ACCENT}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT};
    image: none; }}
QCheckBox::indicator:disabled {{ border-color: #4a4e55; }}
QSpinBox, QDoubleSpinBox {{ padding-right: 18px; }}
QSpinBox::up-button, QDoubleSpinBox::up-button,
QSpinBox::down-button, QDoubleSpinBox::down-button {{
    subcontrol-origin: border; width: 16px; background: #33363b; border-left: 1px solid #3a3d42; }}
QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-position: top right; }}
QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-position: bottom right; }}
QSpinBox::up-button:hover, QDoubleSpinBox::up-button:hover,
QSpinBox::down-button:hover, QDoubleSpinBox::down-button:hover {{ background: #44484e; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url("{_ICON}/arrow-up.svg");
    width: 8px; height: 5px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url("{_ICON}/arrow-down.svg");
    width: 8px; height: 5px; }}
QSpinBox::up-arrow:disabled, QDoubleSpinBox::up-arrow:disabled {{
    image: url("{_ICON}/arrow-up-disabled.svg"); }}
QSpinBox::down-arrow:disabled, QDoubleSpinBox::down-arrow:disabled {{
    image: url("{_ICON}/arrow-down-disabled.svg"); }}
QComboBox::drop-down {{ width: 18px; border-left: 1px solid #3a3d42; }}
QComboBox::down-arrow {{ image: url("{_ICON}/arrow-down.svg"); width: 8px; height: 5px; }}
QComboBox::down-arrow:disabled {{ image: url("{_ICON}/arrow-down-disabled.svg"); }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.Window: BACKGROUND, QPalette.WindowText: TEXT, QPalette.Base: BASE,
        QPalette.AlternateBase: PANEL, QPalette.ToolTipBase: PANEL, QPalette.ToolTipText: TEXT,
        QPalette.Text: TEXT, QPalette.Button: "#33363b", QPalette.ButtonText: TEXT,
        QPalette.Highlight: ACCENT, QPalette.HighlightedText: "#ffffff", QPalette.Link: ACCENT,
        QPalette.PlaceholderText: MUTED,
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.Disabled, QPalette.Text, QColor(MUTED))
    palette.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(MUTED))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE_SHEET)
