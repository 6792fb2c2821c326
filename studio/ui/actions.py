"""The window's actions, their keyboard shortcuts, the menus that hold them and the Help dialogs.

One table of what the user can ask for and with which key, apart from how the window is put
together. Every action is also added to the window itself, so its shortcut works whichever panel
has focus.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox

from studio.render.registry import help_pages
from studio.ui.editing import DocumentEditing
from studio.ui.exchange_flow import CueExchange
from studio.ui.export_flow import ExportFlow
from studio.ui.help import APP_NAME, about_text, shortcuts_html
from studio.ui.help_page import HelpPage
from studio.ui.keyboard import KeyRouting
from studio.ui.preview import Preview
from studio.ui.project_files import ProjectFiles
from studio.ui.render_queue import RenderQueue
from studio.ui.session import Session
from studio.ui.timeline.view import Timeline
from studio.ui.transport import Transport
from studio.ui.viewport import Viewport

# Redo as on Linux and Windows both; each sequence once (a sequence given twice makes Qt call
# the shortcut ambiguous, and then neither works)
REDO_KEYS = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
# the keys that play and step wherever the focus is, except in a text field
TRANSPORT = ("play", "reverse", "stop_or_key", "forward", "prev", "next", "prev10", "next10",
             "start", "end")
# the window's commands: their keys work wherever the focus is, a text field included
COMMANDS = ("new", "open", "save", "save_as", "export", "quit", "shortcuts")


class WindowActions:
    """The window's actions (`by_name`), its menu bar, the overlay toggles and the Help dialogs."""

    def __init__(self, window: QMainWindow, settings: QSettings, session: Session,
                 files: ProjectFiles, editing: DocumentEditing, transport: Transport,
                 preview: Preview, exporter: ExportFlow, timeline: Timeline, viewport: Viewport,
                 panels: list[QDockWidget], exchange: CueExchange,
                 render_queue: RenderQueue) -> None:
        self.window = window  # holds every action, so its key works whichever panel has focus
        self.settings = settings
        self.session = session
        self.files = files
        self.editing = editing
        self.transport = transport
        self.preview = preview
        self.exporter = exporter
        self.exchange = exchange  # cues and motion to and from other tools
        self.render_queue = render_queue  # renders in the background, one job at a time
        self.timeline = timeline
        self.viewport = viewport
        self.panels = panels  # the docks the View menu shows and hides
        self.help_box: HelpPage | None = None
        self.by_name: dict[str, QAction] = {}
        self._build_actions()
        self.recent_menu = self._build_menus()
        self.key_routing = KeyRouting(
            window, [self.by_name[name] for name in TRANSPORT],
            {"undo": self.by_name["undo"], "redo": self.by_name["redo"]},
            [self.by_name[name] for name in COMMANDS])

    def update_enabled(self) -> None:
        """Export needs a portrait and no export running; Delete needs a selection."""
        a = self.by_name
        a["export"].setEnabled(self.session.project.portrait is not None
                               and not self.exporter.running)
        a["queue"].setEnabled(self.session.project.portrait is not None)
        a["delete"].setEnabled(bool(self.timeline.selected()))

    def _action(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.window.addAction(action)  # shortcuts work whichever panel has focus
        return action

    def _build_actions(self) -> None:
        a = self.by_name
        files, editing, transport = self.files, self.editing, self.transport
        session, timeline = self.session, self.timeline
        a["new"] = self._action("&New", files.new_project, QKeySequence.New)
        a["open"] = self._action("&Open…", files.open_dialog, QKeySequence.Open)
        a["open_sample"] = self._action("Open Sa&mple Project", files.open_sample)
        a["save"] = self._action("&Save", files.save, QKeySequence.Save)
        a["save_as"] = self._action("Save &As…", files.save_as_dialog, QKeySequence.SaveAs)
        a["export"] = self._action("&Export…", self.exporter.export_dialog, "Ctrl+E")
        a["queue"] = self._action("A&dd to Render Queue…", self.render_queue.add_dialog)
        a["export_cues"] = self._action("Export C&ues and Motion…", self.exchange.export_dialog)
        a["import_cues"] = self._action("&Import Cues or Capture…", self.exchange.import_dialog)
        a["load_style"] = self._action("&Load Style Preset…", editing.load_style_preset)
        a["save_style"] = self._action("Save Style Pre&set…",
                                       lambda: editing.save_style_preset())
        # Quit has no key in every theme
        a["quit"] = self._action("&Quit", self.window.close, "Ctrl+Q")
        a["undo"], a["redo"] = session.undo_stack.create_actions(self.window)
        a["undo"].setShortcut(QKeySequence.Undo)
        a["redo"].setShortcuts(REDO_KEYS)
        self.window.addActions([a["undo"], a["redo"]])
        a["delete"] = self._action("&Delete", lambda: editing.delete_keys(timeline.selected()))
        a["delete"].setShortcuts([QKeySequence.Delete, QKeySequence(Qt.Key_Backspace)])
        a["select_all"] = self._action("Select &All", timeline.select_all,
                                       QKeySequence.SelectAll)
        a["play"] = self._action("&Play / Pause", transport.toggle_play, Qt.Key_Space)
        a["reverse"] = self._action("Play &Backward", lambda: transport.shuttle(-1), Qt.Key_J)
        a["stop_or_key"] = self._action("Pause / Add &Key", transport.pause_or_add_key, Qt.Key_K)
        a["forward"] = self._action("Play &Forward", lambda: transport.shuttle(1), Qt.Key_L)
        a["prev"] = self._action("P&revious Frame", lambda: transport.step(-1), Qt.Key_Left)
        a["next"] = self._action("&Next Frame", lambda: transport.step(1), Qt.Key_Right)
        a["prev10"] = self._action("Back 1 &Second",
                                   lambda: transport.step(-session.project.fps), "Shift+Left")
        a["next10"] = self._action("F&orward 1 Second",
                                   lambda: transport.step(session.project.fps), "Shift+Right")
        a["start"] = self._action("Go to S&tart", lambda: transport.set_frame(0), Qt.Key_Home)
        a["end"] = self._action("Go to &End",
                                lambda: transport.set_frame(session.project.frame_count() - 1),
                                Qt.Key_End)
        a["fit"] = self._action("&Fit Timeline to Clip", timeline.fit, "Ctrl+0")
        a["zoom_in"] = self._action("Zoom &In", lambda: timeline.zoom(0.5), "Ctrl+=")
        a["zoom_out"] = self._action("Zoom &Out", lambda: timeline.zoom(2.0), "Ctrl+-")
        for name, label in (("landmarks", "Face &Mesh Overlay"),
                            ("original", "&Original Side by Side"),
                            ("safe_frame", "&Safe Frame")):
            action = self._action(label, lambda on, n=name: self._set_overlay(n, on),
                                  checkable=True)
            action.setChecked(self.settings.value(f"view/{name}", False, type=bool))
            self.viewport.set_overlay(name, action.isChecked())
            a[f"overlay_{name}"] = action
        self.preview.landmarks = a["overlay_landmarks"].isChecked()
        a["shortcuts"] = self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1")
        a["about"] = self._action("&About", self.show_about)
        # the renderers' own pages (Help > Diffusion Models), from the renderer registry
        for i, (title, page) in enumerate(help_pages()):
            a[f"help_page_{i}"] = self._action(
                f"{title}…", lambda _=False, t=title, p=page: self.show_page(t, p()))

    def _build_menus(self) -> QMenu:
        """The menu bar; returns the Open Recent menu."""
        a = self.by_name
        bar = self.window.menuBar()
        file = bar.addMenu("&File")
        file.addActions([a["new"], a["open"]])
        recent_menu = file.addMenu("Open &Recent")
        recent_menu.aboutToShow.connect(lambda: self.files.fill_recent_menu(recent_menu))
        self.files.fill_recent_menu(recent_menu)
        file.addAction(a["open_sample"])
        file.addSeparator()
        file.addActions([a["save"], a["save_as"]])
        file.addSeparator()
        file.addActions([a["export"], a["queue"], a["export_cues"], a["import_cues"]])
        file.addSeparator()
        file.addActions([a["load_style"], a["save_style"]])
        file.addSeparator()
        file.addAction(a["quit"])
        edit = bar.addMenu("&Edit")
        edit.addActions([a["undo"], a["redo"]])
        edit.addSeparator()
        edit.addActions([a["delete"], a["select_all"]])
        play = bar.addMenu("&Playback")
        play.addActions([a[n] for n in TRANSPORT])
        view = bar.addMenu("&View")
        panels = view.addMenu("&Panels")
        for dock in self.panels:
            panels.addAction(dock.toggleViewAction())
        overlays = view.addMenu("&Overlays")
        overlays.addActions([a["overlay_landmarks"], a["overlay_original"], a["overlay_safe_frame"]])
        zoom = view.addMenu("&Zoom")
        zoom.addActions([a["zoom_in"], a["zoom_out"], a["fit"]])
        help_menu = bar.addMenu("&Help")
        pages = [action for name, action in a.items() if name.startswith("help_page_")]
        help_menu.addActions([a["shortcuts"], *pages, a["about"]])
        return recent_menu

    def _set_overlay(self, name: str, on: bool) -> None:
        self.settings.setValue(f"view/{name}", on)
        self.viewport.set_overlay(name, on)
        if name == "landmarks":
            self.preview.set_landmarks(on)

    def show_shortcuts(self) -> None:
        self.show_page("Keyboard shortcuts", shortcuts_html())

    def show_page(self, title: str, html: str) -> None:
        """A Help page (studio.ui.help_page): scrolls where it is taller than the screen."""
        box = HelpPage(title, html, self.window)
        self.help_box = box
        box.open()

    def show_about(self) -> None:
        QMessageBox.about(self.window, f"About {APP_NAME}", about_text())
