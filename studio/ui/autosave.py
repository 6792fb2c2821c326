"""Autosave sidecars and crash recovery.

Every minute (and before every export) unsaved work is written atomically to a sidecar: next to
the project file as `NAME.autosave.json`, or in the user's data folder for an untitled project.
QSettings remembers the sidecar of the running session and forgets it on a clean exit, so a
sidecar still listed at start-up means the last session ended without closing: offer it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from studio.doc.document import Document
from studio.doc.io import save_project

_KEY = "session/autosave"
_ORIGINAL_KEY = "session/autosave_original"


def sidecar_for(doc: Document) -> Path:
    if doc.path is not None:
        return doc.path.with_name(doc.path.stem + ".autosave.json")
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"untitled-{os.getpid()}.autosave.json"


def write_autosave(doc: Document, settings: QSettings) -> Path:
    sidecar = sidecar_for(doc)
    save_project(doc.project, sidecar)
    settings.setValue(_KEY, str(sidecar))
    settings.setValue(_ORIGINAL_KEY, str(doc.path) if doc.path is not None else "")
    settings.sync()
    return sidecar


def pending_recovery(settings: QSettings) -> tuple[Path, Path | None] | None:
    """(sidecar, the project file it belongs to) left by a session that did not exit cleanly."""
    value = settings.value(_KEY, "")
    if not value or not Path(value).is_file():
        return None
    original = settings.value(_ORIGINAL_KEY, "")
    return Path(value), Path(original) if original else None


def forget_autosave(settings: QSettings, remove: bool = True) -> None:
    """A clean exit or a save: the sidecar is no longer needed."""
    value = settings.value(_KEY, "")
    if value and remove:
        Path(value).unlink(missing_ok=True)
    settings.remove(_KEY)
    settings.remove(_ORIGINAL_KEY)
    settings.sync()
