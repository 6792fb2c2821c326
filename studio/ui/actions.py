"""The window's actions, their keyboard shortcuts, the menus that hold them and the Help dialogs.

One table of what the user can ask for and with which key, apart from how the window is put
together. Every action is also added to the window itself, so its shortcut works whichever panel
has focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from studio.ui.help import APP_NAME, about_text, shortcuts_html
from studio.ui.keyboard import KeyRouting

# Redo as on Linux and Windows both; each sequence once (a sequence given twice makes Qt call
# the shortcut ambiguous, and then neither works)
REDO_KEYS = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
# the keys that play and step wherever the focus is, except in a text field
TRANSPORT = ("play", "reverse", "stop_or_key", "forward", "prev", "next", "prev10", "next10",
             "start", "end")


class WindowActions:
    """MainWindow's actions (`actions_by_name`), menu bar, overlay toggles and Help dialogs."""

    def _action(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work whichever panel has focus
        return action

    def _build_actions(self) -> None:
        a = self.actions_by_name = {}
        a["new"] = self._action("&New", self.new_project, QKeySequence.New)
        a["open"] = self._action("&Open…", self.open_dialog, QKeySequence.Open)
        a["open_sample"] = self._action("Open Sa&mple Project", self.open_sample)
        a["save"] = self._action("&Save", self.save, QKeySequence.Save)
        a["save_as"] = self._action("Save &As…", self.save_as_dialog, QKeySequence.SaveAs)
        a["export"] = self._action("&Export…", self.export_dialog, "Ctrl+E")
        a["load_style"] = self._action("&Load Style Preset…", self.load_style_preset)
        a["save_style"] = self._action("Save Style Pre&set…", lambda: self.save_style_preset())
        a["quit"] = self._action("&Quit", self.close, "Ctrl+Q")  # Quit has no key in every theme
        a["undo"], a["redo"] = self.undo_stack.create_actions(self)
        a["undo"].setShortcut(QKeySequence.Undo)
        a["redo"].setShortcuts(REDO_KEYS)
        self.addActions([a["undo"], a["redo"]])
        a["delete"] = self._action("&Delete", lambda: self.delete_keys(self.timeline.selected()))
        a["delete"].setShortcuts([QKeySequence.Delete, QKeySequence(Qt.Key_Backspace)])
        a["select_all"] = self._action("Select &All", self.timeline.select_all,
                                       QKeySequence.SelectAll)
        a["play"] = self._action("Play / Pause", self.toggle_play, Qt.Key_Space)
        a["reverse"] = self._action("Play Backward", lambda: self.shuttle(-1), Qt.Key_J)
        a["stop_or_key"] = self._action("Pause / Add Key", self.pause_or_add_key, Qt.Key_K)
        a["forward"] = self._action("Play Forward", lambda: self.shuttle(1), Qt.Key_L)
        a["prev"] = self._action("Previous Frame", lambda: self.step(-1), Qt.Key_Left)
        a["next"] = self._action("Next Frame", lambda: self.step(1), Qt.Key_Right)
        a["prev10"] = self._action("Back 1 Second", lambda: self.step(-self.doc.project.fps),
                                   "Shift+Left")
        a["next10"] = self._action("Forward 1 Second", lambda: self.step(self.doc.project.fps),
                                   "Shift+Right")
        a["start"] = self._action("Go to Start", lambda: self.set_frame(0), Qt.Key_Home)
        a["end"] = self._action("Go to End",
                                lambda: self.set_frame(self.doc.project.frame_count() - 1),
                                Qt.Key_End)
        a["fit"] = self._action("Fit Timeline to Clip", self.timeline.fit, "Ctrl+0")
        a["zoom_in"] = self._action("Zoom In", lambda: self.timeline.zoom(0.5), "Ctrl+=")
        a["zoom_out"] = self._action("Zoom Out", lambda: self.timeline.zoom(2.0), "Ctrl+-")
        for name, label in (("landmarks", "Face &Mesh Overlay"),
                            ("original", "&Original Side by Side"),
                            ("safe_frame", "&Safe Frame")):
            action = self._action(label, lambda on, n=name: self._set_overlay(n, on),
                                  checkable=True)
            action.setChecked(self.settings.value(f"view/{name}", False, type=bool))
            self.viewport.set_overlay(name, action.isChecked())
            a[f"overlay_{name}"] = action
        a["shortcuts"] = self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1")
        a["about"] = self._action("&About", self.show_about)
        self.key_routing = KeyRouting(
            self, [a[name] for name in TRANSPORT],
            {"undo": a["undo"], "redo": a["redo"]})

    def _build_menus(self) -> None:
        a = self.actions_by_name
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([a["new"], a["open"]])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file.addAction(a["open_sample"])
        file.addSeparator()
        file.addActions([a["save"], a["save_as"]])
        file.addSeparator()
        file.addAction(a["export"])
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
        for dock in (self.timeline_dock, self.inspector_dock, self.media_dock):
            panels.addAction(dock.toggleViewAction())
        overlays = view.addMenu("&Overlays")
        overlays.addActions([a["overlay_landmarks"], a["overlay_original"], a["overlay_safe_frame"]])
        zoom = view.addMenu("&Zoom")
        zoom.addActions([a["zoom_in"], a["zoom_out"], a["fit"]])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a["shortcuts"], a["about"]])

    def _set_overlay(self, name: str, on: bool) -> None:
        self.settings.setValue(f"view/{name}", on)
        self.viewport.set_overlay(name, on)
        if name == "landmarks":
            self.request_preview()

    def show_shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.NoIcon, "Keyboard shortcuts", shortcuts_html(),
                          QMessageBox.Close, self)
        box.setTextFormat(Qt.RichText)
        self.help_box = box
        box.open()

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", about_text())
