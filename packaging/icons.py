"""Renders the application icon (resources/icons/talking-portrait-studio.svg) into a
freedesktop hicolor icon set: `python packaging/icons.py OUT` writes OUT/hicolor/NxN/apps/*.png
and OUT/hicolor/scalable/apps/*.svg. The spec runs it at build time, so the SVG stays the one
source of the picture."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from studio.resources import APP_ICON  # noqa: E402

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
NAME = "talking-portrait-studio"


def write_icon_set(out: Path) -> list[Path]:
    renderer = QSvgRenderer(str(APP_ICON))
    if not renderer.isValid():
        raise SystemExit(f"{APP_ICON}: not a valid SVG image")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(APP_ICON, scalable)
    return written + [scalable]


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    for path in write_icon_set(Path(sys.argv[1])):
        print(path)
