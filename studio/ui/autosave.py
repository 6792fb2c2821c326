"""Autosave sidecars and crash recovery.

A few seconds after the edits stop (and before every export) unsaved work is written atomically
to a sidecar: next to the project file as `NAME.autosave.json`, or for an untitled project in
the user's data folder as `untitled-PID.autosave.json`. Saving, a clean close and the user's
answer to the recovery question remove it. So a sidecar that is still there means a session
ended without closing, and it is offered back:
- whenever its project is opened, however it is opened (`recoverable`): the command line, the
  desktop entry, File > Open, the recent files;
- when the studio starts with no project (`orphans`), for the work of sessions that are gone.

Each session lists its sidecar in the settings under its own process id, so a second studio
running at the same time never offers, claims or deletes the first one's. The files are written
on a thread of their own, in order: the window never waits for the disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.doc.files import process_alive
from studio.doc.files import write_atomic
from studio.doc.io import project_text

GROUP = "autosave"
SUFFIX = ".autosave.json"


def sidecar_for(doc: Document) -> Path:
    if doc.path is not None:
        return doc.path.with_name(doc.path.stem + SUFFIX)
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"untitled-{os.getpid()}{SUFFIX}"


@dataclass(frozen=True)
class Orphan:
    """Unsaved work a session that is gone left behind."""

    sidecar: Path
    original: Path | None  # the project file it belongs to; None for an untitled project
    pid: int


def _entries(settings: QSettings) -> dict[int, tuple[Path, Path | None]]:
    settings.beginGroup(GROUP)
    try:
        entries = {}
        for key in settings.childKeys():
            value = settings.value(key)
            if not key.isdigit() or not isinstance(value, (list, tuple)) or len(value) != 2:
                continue
            entries[int(key)] = (Path(value[0]), Path(value[1]) if value[1] else None)
        return entries
    finally:
        settings.endGroup()


def _owner(settings: QSettings, sidecar: Path) -> int | None:
    return next((pid for pid, (path, _) in _entries(settings).items() if path == sidecar), None)


def _unlist(settings: QSettings, pid: int) -> None:
    settings.remove(f"{GROUP}/{pid}")
    settings.sync()


def orphans(settings: QSettings) -> list[Orphan]:
    """Sidecars of sessions that ended without closing, newest first. Entries whose sidecar is
    gone, or whose project file no longer exists, are cleaned up on the way (with the sidecar)."""
    found = []
    for pid, (sidecar, original) in _entries(settings).items():
        if process_alive(pid):
            continue
        if not sidecar.is_file() or (original is not None and not original.is_file()):
            sidecar.unlink(missing_ok=True)
            _unlist(settings, pid)
            continue
        found.append(Orphan(sidecar, original, pid))
    return sorted(found, key=lambda o: o.sidecar.stat().st_mtime, reverse=True)


def recoverable(settings: QSettings, project: Path) -> Path | None:
    """The sidecar beside `project` holding work newer than the file, unless a running studio
    is writing it right now (that session still has the work)."""
    sidecar = project.with_name(project.stem + SUFFIX)
    try:
        newer = sidecar.stat().st_mtime >= project.stat().st_mtime
    except OSError:
        return None
    owner = _owner(settings, sidecar)
    if owner is not None and owner != os.getpid() and process_alive(owner):
        return None
    return sidecar if newer else None


def answered(settings: QSettings, sidecar: Path, keep: bool) -> None:
    """The user answered the recovery question: a sidecar not kept is deleted, and the session
    that left it is no longer listed."""
    owner = _owner(settings, sidecar)
    if owner is not None and owner != os.getpid():
        _unlist(settings, owner)
    if not keep:
        sidecar.unlink(missing_ok=True)


class SessionAutosave:
    """This session's sidecar: written in the background, listed under this process's id."""

    def __init__(self, settings: QSettings, on_error: Callable[[str], None]) -> None:
        self.settings = settings
        self._on_error = on_error
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="studio-autosave")
        self._sidecar: Path | None = None

    def write(self, doc: Document) -> Future:
        """Queue the document's text for its sidecar; the Future's result is the sidecar."""
        sidecar = sidecar_for(doc)
        text = project_text(doc.project, sidecar)  # here: the document keeps changing
        if self._sidecar is not None and self._sidecar != sidecar:
            self._writer.submit(self._sidecar.unlink, missing_ok=True)  # Save As moved it
        self._sidecar = sidecar
        self.settings.setValue(f"{GROUP}/{os.getpid()}",
                               [str(sidecar), str(doc.path) if doc.path is not None else ""])
        self.settings.sync()
        future = self._writer.submit(self._write, sidecar, text)
        return future

    def _write(self, sidecar: Path, text: str) -> Path:
        try:
            write_atomic(sidecar, text)
        except InputError as error:
            self._on_error(str(error))
            raise
        return sidecar

    def adopt(self, sidecar: Path) -> None:
        """A recovered sidecar is this session's from now on (until saved or answered)."""
        self._sidecar = sidecar

    def discard(self) -> None:
        """The work is saved or knowingly dropped: remove the sidecar (after any queued write)."""
        if self._sidecar is not None:
            self._writer.submit(self._sidecar.unlink, missing_ok=True)
            self._sidecar = None
        _unlist(self.settings, os.getpid())

    def close(self, keep: bool = False) -> None:
        """Finish the queued writes; `keep` leaves the sidecar for the next start."""
        if not keep:
            self.discard()
        self._writer.shutdown(wait=True)
