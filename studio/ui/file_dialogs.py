"""File choosers that open where the user last was.

Each kind of file (media, projects, style presets, exports) remembers its own folder in the
settings: a voice clip is looked for beside the last voice clip, not in the folder the studio
happened to start from.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget


def reveal_in_file_manager(path: Path, status) -> bool:
    """Open the folder that holds `path` (the folder itself for a PNG sequence) in the desktop's
    file manager; where there is none, `status(text, ms)` says where the output is instead."""
    folder = path if path.is_dir() else path.parent
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return True
    status(f"No file manager to open: the output is in {folder}", 15000)
    return False


def take_back_keyboard(parent: QWidget) -> None:
    """The chooser closed: the window takes the keyboard back, so its shortcuts work again at
    once. Without a window manager to reactivate it (a bare X server), Space would otherwise
    go to the button that opened the chooser and open it again instead of playing."""
    window = parent.window()
    window.activateWindow()
    window.raise_()


def last_folder(settings: QSettings, kind: str) -> Path:
    value = settings.value(f"dialogs/{kind}", "")
    folder = Path(value) if value else Path.home()
    return folder if folder.is_dir() else Path.home()


def remember(settings: QSettings, kind: str, path: Path) -> None:
    settings.setValue(f"dialogs/{kind}", str(path if path.is_dir() else path.parent))


def open_file(parent: QWidget, settings: QSettings, kind: str, title: str,
              filter_: str) -> Path | None:
    chosen = QFileDialog.getOpenFileName(parent, title, str(last_folder(settings, kind)),
                                         filter_)[0]
    take_back_keyboard(parent)
    if not chosen:
        return None
    remember(settings, kind, Path(chosen))
    return Path(chosen)


def save_file(parent: QWidget, settings: QSettings, kind: str, title: str, name: str,
              filter_: str, folder: Path | None = None) -> Path | None:
    """`folder` where the file already lives, else the last folder of this kind."""
    start = (folder or last_folder(settings, kind)) / name
    chosen = QFileDialog.getSaveFileName(parent, title, str(start), filter_)[0]
    take_back_keyboard(parent)
    if not chosen:
        return None
    remember(settings, kind, Path(chosen))
    return Path(chosen)
