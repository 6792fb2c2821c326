"""Project files: new, open, save, recent files, dropped and chosen files, and the autosave
sidecar with crash recovery.

Opening or saving refuses a bad file with a dialog and leaves the current project alone; unsaved
edits are never dropped without asking.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.engine.project_file import load_project
from studio.resources import SAMPLE_PROJECT
from studio.ui import autosave, file_dialogs
from studio.ui.help import APP_NAME
from studio.ui.media import AUDIO_SUFFIXES, IMAGE_SUFFIXES, Dropped, classify, file_filter
from studio.ui.media_flow import MediaAnalysisFlow
from studio.ui.notices import Notices, ToUiThread
from studio.ui.session import Session
from studio.ui.welcome import WelcomePage

MAX_RECENT = 8
PROJECT_FILTER = "Projects (*.json)"
AUTOSAVE_DELAY_MS = 2_000  # after the last edit: a crash loses at most the last few seconds


class ProjectFiles(QObject):
    """The File menu's work on project files, files dropped or chosen, the autosave sidecar."""

    saved = Signal()  # the document is on disk, perhaps under a new name

    def __init__(self, session: Session, window: QWidget, settings: QSettings, notices: Notices,
                 to_ui: ToUiThread, media: MediaAnalysisFlow, welcome: WelcomePage) -> None:
        super().__init__()
        self.session = session
        self.window = window  # the parent of the file choosers and questions
        self.settings = settings
        self.notices = notices
        self.media = media  # dropped or chosen media go to their analysis
        self.welcome = welcome  # lists the recent projects
        self.autosaver = autosave.SessionAutosave(
            settings, on_error=lambda text: to_ui.post(lambda: self._autosave_failed(text)))
        self.autosave_timer = QTimer(window)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave_now)

    def schedule_autosave(self, *_) -> None:
        """An edit: the sidecar is written once the edits stop for a moment."""
        self.autosave_timer.start()

    def close(self) -> None:
        """The window closes: the user saved or chose to discard (confirm_discard)."""
        self.autosave_timer.stop()
        self.autosaver.close()

    # ---- files coming in ------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> None:
        """Dropped or chosen files: a project opens; a portrait and/or voice clip join the project."""
        try:
            dropped = classify(paths)
            missing = [p for p in paths if not p.is_file()]
            if missing:
                raise InputError(f"cannot open {missing[0].name}: the file does not exist")
        except InputError as error:
            self.notices.error(str(error))
            return
        if dropped.project is not None:
            self.open_project(dropped.project)
            return
        if dropped.portrait is None and dropped.audio is None:
            return
        self.media.add(Dropped(dropped.portrait, dropped.audio))

    def choose_media(self, kind: str) -> None:
        """The media panel's buttons: a chosen file takes the same path as a dropped one."""
        if kind == "portrait":
            filter_ = file_filter("Images", IMAGE_SUFFIXES)
        else:
            filter_ = file_filter("Audio", AUDIO_SUFFIXES)
        path = file_dialogs.open_file(self.window, self.settings, "media", f"Choose {kind}",
                                      filter_)
        if path is not None:
            self.open_paths([path])

    # ---- projects ---------------------------------------------------------------------------
    def new_project(self) -> None:
        if self.confirm_discard():
            self.session.set_document(Document())

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path = file_dialogs.open_file(self.window, self.settings, "project", "Open project",
                                      PROJECT_FILTER)
        if path is not None:
            self.open_project(path, confirmed=True)

    def open_project(self, path: Path, confirmed: bool = False,
                     offer_recovery: bool = True) -> bool:
        """Open a project file; a bad file gets a dialog and leaves the current project alone.
        Work autosaved for it by a session that did not close is offered first."""
        if not confirmed and not self.confirm_discard():
            return False
        path = Path(path).absolute()
        sidecar = autosave.recoverable(self.settings, path) if offer_recovery else None
        if sidecar is not None and self._ask_recovery(path.name, sidecar):
            if self.recover(sidecar, path):
                self._add_recent(path)
                return True
        doc = self._read(path)
        if doc is None:
            return False
        self.session.set_document(doc)
        self._add_recent(path)
        return True

    def _ask_recovery(self, name: str, sidecar: Path) -> bool:
        """Recover (True) or drop (False) the sidecar; either way it is the user's answer."""
        when = datetime.fromtimestamp(sidecar.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        answer = QMessageBox.question(
            self.window, APP_NAME,
            f"{APP_NAME} did not close normally: {name} has unsaved changes autosaved at "
            f"{when}. Recover them? (No deletes them.)",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        keep = answer == QMessageBox.Yes
        autosave.answered(self.settings, sidecar, keep)
        return keep

    def _read(self, path: Path) -> Document | None:
        """The document in `path`, or None after a dialog saying why it cannot be opened."""
        try:
            return Document(load_project(path), path)
        except InputError as error:
            self.notices.error(str(error))
            return None

    def open_sample(self) -> bool:
        """The bundled sample, as an untitled copy: it lives inside the application, which may
        be read-only, so Save asks where to keep it; and it stays out of the recent files."""
        if not self.confirm_discard():
            return False
        doc = self._read(SAMPLE_PROJECT)
        if doc is None:
            return False
        doc.path = None
        self.session.set_document(doc)
        return True

    def save(self) -> bool:
        if self.session.doc.path is None:
            return self.save_as_dialog()
        return self.save_to(self.session.doc.path)

    def save_as_dialog(self) -> bool:
        doc = self.session.doc
        path = file_dialogs.save_file(
            self.window, self.settings, "project", "Save project", f"{doc.name}.json",
            PROJECT_FILTER, doc.path.parent if doc.path else None)
        return self.save_to(path) if path is not None else False

    def save_to(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            path = path.with_suffix(".json")
        try:
            self.session.doc.save(path)
        except (InputError, OSError) as error:
            self.notices.error(f"cannot save {path.name}: {error}")
            return False
        self.autosaver.discard()
        self.session.undo_stack.setClean()
        self._add_recent(path)
        self.saved.emit()
        self.notices.status(f"Saved {path}", 4000)
        return True

    def confirm_discard(self) -> bool:
        """Ask before unsaved edits are lost; True when it is fine to go on."""
        if self.session.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            self.window, APP_NAME, f"Save changes to {self.session.doc.name} before closing it?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        if answer == QMessageBox.Discard:
            self.autosaver.discard()
            return True
        return False

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def existing_recent(self) -> list[Path]:
        """Recent projects that are still there, newest first."""
        return [Path(p) for p in self._recent() if Path(p).is_file()]

    def _add_recent(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self._recent() if p != str(path)]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.welcome.set_recent(self.existing_recent())

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        recent = self.existing_recent()
        for path in recent:
            menu.addAction(path.name, lambda p=path: self.open_project(p))
        menu.setEnabled(bool(recent))

    def autosave_now(self, wait: bool = False) -> Path | None:
        """Write unsaved work to the sidecar in the background (`wait`: until it is on disk);
        with nothing unsaved, the sidecar goes."""
        if self.session.undo_stack.isClean():
            self.autosaver.discard()
            return None
        try:
            written = self.autosaver.write(self.session.doc)
            return written.result() if wait else autosave.sidecar_for(self.session.doc)
        except InputError as error:
            self._autosave_failed(str(error))
            return None

    def _autosave_failed(self, message: str) -> None:
        self.notices.status(f"Autosave failed: {message}", 10_000)

    def offer_recovery(self) -> None:
        """At a start with no project: the work of sessions that ended without closing, newest
        first, until one is recovered."""
        for orphan in autosave.orphans(self.settings):
            name = orphan.original.name if orphan.original else "the untitled project"
            if self._ask_recovery(name, orphan.sidecar):
                self.recover(orphan.sidecar, orphan.original)
                return

    def recover(self, sidecar: Path, original: Path | None) -> bool:
        doc = self._read(sidecar)
        if doc is None:
            return False
        doc.path = original
        self.session.set_document(doc)
        self.session.undo_stack.resetClean()  # recovered work is unsaved until the user saves it
        self.autosaver.adopt(sidecar)
        return True
