"""File > Export Cues and Motion… and File > Import Cues or Capture… (docs/exchange.md).

Export writes the project as it is now: mouth cues from its viseme track (or the lip sync while
the track is empty), curves from the same controls the preview and the render use. Import makes
one undoable command of every track it replaces; a Live Link Face take starts at the playhead.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QWidget

from studio.doc.document import Document
from studio.doc.errors import InputError
from studio.doc.project import Curve
from studio.doc.tracks import spec
from studio.engine.inputs import Analysis
from studio.exchange.formats import FORMATS
from studio.ui.file_dialogs import open_file, save_file
from studio.ui.notices import Notices
from studio.ui.session import Session

EXPORT_FILTER = ";;".join(f"{f.description} (*{f.suffix})" for f in FORMATS.values())
IMPORT_FILTER = ("Cues or capture (*.tsv *.txt *.json *.xml *.dat *.csv);;"
                 + ";;".join(f"{f.description} (*{f.suffix})" for f in FORMATS.values()
                             if f.readable))


class ImportCommand(QUndoCommand):
    """Replace tracks (and curve defaults: an imported capture sets the blink rate to 0)."""

    def __init__(self, doc: Document, text: str, tracks: dict[str, object]) -> None:
        super().__init__(text)
        self.doc = doc
        self.after = {name: copy.deepcopy(value) for name, value in tracks.items()}
        self.before = {name: copy.deepcopy(getattr(doc.project.tracks, name))
                       for name in tracks}

    def _set(self, values: dict[str, object]) -> None:
        for name, value in values.items():
            if isinstance(value, Curve):
                self.doc.set_curve_default(name, value.default)
                self.doc.replace_track(name, value.keys)
            else:
                self.doc.replace_track(name, list(value))  # type: ignore[arg-type]

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)


class CueExchange:
    """The two File menu entries: export to and import from other tools' formats."""

    def __init__(self, session: Session, window: QWidget, settings: QSettings,
                 notices: Notices) -> None:
        self.session = session
        self.window = window
        self.settings = settings
        self.notices = notices

    def _analysis(self, need_voice: bool) -> Analysis:
        project = self.session.project
        audio = self.session.analysis(project) if project.audio else None
        if project.audio and (audio is None or not audio.complete) and need_voice:
            raise InputError("the voice clip is still being analysed; export when lip sync "
                             "has finished")
        if audio is None:
            return Analysis(None, None, [], project.duration)  # type: ignore[arg-type]
        return Analysis(None, audio.performance, list(audio.visemes or []),  # type: ignore
                        audio.clip.duration)

    def export_dialog(self) -> Path | None:
        from studio.exchange.exports import export_performance
        from studio.exchange.formats import format_for

        doc = self.session.doc
        path = save_file(self.window, self.settings, "exchange", "Export Cues and Motion",
                         f"{doc.name}.tsv", EXPORT_FILTER,
                         doc.path.parent if doc.path else None)
        if path is None:
            return None
        try:
            fmt = format_for(path)
            project = self.session.project
            need_voice = not fmt.cues or not project.tracks.visemes
            export_performance(project, [(path, fmt.name)], analysis=self._analysis(need_voice))
        except (InputError, OSError) as exc:
            self.notices.error(f"could not export {path.name}: {exc}")
            return None
        self.notices.status(f"Exported {fmt.description} to {path.name}", 5000)
        return path

    def import_dialog(self) -> bool:
        from studio.exchange.formats import format_for
        from studio.exchange.imports import ImportOptions, read_import

        path = open_file(self.window, self.settings, "exchange", "Import Cues or Capture",
                         IMPORT_FILTER)
        if path is None:
            return False
        project = self.session.project
        try:
            fmt = format_for(path)
            offset = 0.0 if fmt.cues else round(self.session.frame / project.fps, 6)
            imported = read_import(project, path, ImportOptions(offset=offset), fmt)
        except (InputError, OSError) as exc:
            reason = str(exc)  # the exchange's messages already start with the file's name
            self.notices.error(f"Could not import {reason}" if reason.startswith(path.name)
                               else f"Could not import {path.name}: {reason}")
            return False
        names = [spec(t).label for t in imported.tracks if t not in ("style", "blink_rate")]
        self.session.undo_stack.push(
            ImportCommand(self.session.doc, f"Import {path.name}", imported.tracks))
        self.notices.status(f"Imported {path.name}: {imported.summary} ({', '.join(names)})",
                            8000)
        return True
