"""The welcome page, the studio's empty state, driven like a user on a first run (no settings):
the sample project, a drop on the drop area, the choose buttons, recent projects, File > New;
and the renderer setting of an installation without the diffusion packages.

Offscreen (QT_QPA_PLATFORM=offscreen, set in conftest), on the real sample and the real portrait
and speech.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.doc.document import Document
from studio.doc.project import Project, RenderSettings
from studio.jobs import CancelToken
from studio.resources import SAMPLE_PORTRAIT, SAMPLE_PROJECT, SAMPLE_SPEECH
from studio.ui.main_window import MainWindow
from studio.ui.media import analyze_portrait_file
from qt_windows import close_window, fresh_settings, make_window

WAIT_MS = 60_000
MISSING = ["torch", "diffusers"]


@pytest.fixture
def settings(tmp_path):
    return fresh_settings(tmp_path)


@pytest.fixture
def open_window(qtbot, settings):
    """Opens windows on the themed application as `studio gui` does, and closes them after."""
    windows = []

    def make() -> MainWindow:
        windows.append(make_window(qtbot, settings))
        return windows[-1]

    yield make
    for window in windows:
        close_window(window)


@pytest.fixture(scope="module")
def rig(portrait_path):
    return analyze_portrait_file(portrait_path, CancelToken())


@pytest.fixture
def diffusion_missing(monkeypatch):
    """An installation without torch and diffusers, like the bundle built without DIFFUSION=1."""
    monkeypatch.setattr("studio.render.diffusion.availability.missing_packages",
                        lambda: list(MISSING))


def drop_on(widget, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def file_action(window: MainWindow, text: str):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text().replace("&", "") == text)


def on_welcome(window: MainWindow) -> bool:
    return window.welcome.isVisible() and not window.viewport.isVisible()


def test_first_run_opens_on_the_welcome_page(open_window, settings):
    window = open_window()
    assert on_welcome(window)
    page = window.welcome
    assert __version__ in page.version.text() and "Talking Portrait Studio" in page.title.text()
    assert page.drop_area.isVisible() and page.open_sample.isVisible()
    assert page.drop_area.choose_portrait.isVisible() and page.drop_area.choose_voice.isVisible()
    assert page.recent == [] and page.no_recent.isVisible()
    # the empty timeline and media panels are put away; the render settings stay at hand
    assert not window.timeline_dock.isVisible() and not window.media_dock.isVisible()
    assert window.inspector_dock.isVisible()
    app = QApplication.instance()
    assert not app.windowIcon().isNull() and not window.windowIcon().isNull()
    assert app.applicationVersion() == __version__
    assert app.desktopFileName() == "talking-portrait-studio"


def test_the_sample_opens_as_an_untitled_copy_that_talks(qtbot, open_window, settings,
                                                         tmp_path, monkeypatch):
    window = open_window()
    sample_before = SAMPLE_PROJECT.read_bytes()
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        qtbot.mouseClick(window.welcome.open_sample, Qt.LeftButton)
    assert Path(window.project.portrait) == SAMPLE_PORTRAIT
    assert Path(window.project.audio) == SAMPLE_SPEECH
    assert window.doc.path is None and "Untitled" in window.windowTitle()
    assert window.project.tracks.visemes and window.project.tracks.head_yaw.keys
    frame = window.viewport.frame_array
    assert frame is not None and frame.shape == (512, 512, 3)
    assert not window.welcome.isVisible() and window.viewport.isVisible()
    assert window.timeline_dock.isVisible() and window.media_dock.isVisible()
    assert settings.value("recent") is None, "the sample is not a recent file"
    # Save asks where (the bundle may be read-only); the sample itself stays as it was
    target = tmp_path / "mine.json"
    asked = []

    def save_dialog(*args, **kwargs):
        asked.append(args)
        return str(target), ""

    monkeypatch.setattr("studio.ui.file_dialogs.QFileDialog.getSaveFileName", save_dialog)
    window.actions_by_name["save"].trigger()
    assert asked and window.doc.path == target and target.is_file()
    assert Path(json.loads(target.read_text())["portrait"]).name == "portrait.jpg"
    assert SAMPLE_PROJECT.read_bytes() == sample_before


def test_the_file_menu_opens_the_sample_and_new_returns_to_the_welcome_page(
        qtbot, open_window, rig):
    window = open_window()
    window.rigs[str(SAMPLE_PORTRAIT)] = rig  # the real portrait: analysed once for the module
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        file_action(window, "Open Sample Project").trigger()
    assert not on_welcome(window) and window.doc.path is None
    file_action(window, "New").trigger()
    assert on_welcome(window) and window.project.portrait is None
    assert not window.timeline_dock.isVisible()


def test_dropping_a_portrait_and_voice_on_the_drop_area_makes_a_talking_project(
        qtbot, open_window, portrait_path, speech_path):
    window = open_window()
    with qtbot.waitSignal(window.analysisFinished, timeout=WAIT_MS):
        drop_on(window.welcome.drop_area, portrait_path, speech_path)
    project = window.project
    assert Path(project.portrait) == portrait_path and Path(project.audio) == speech_path
    assert project.tracks.visemes, "lip sync filled the viseme track"
    qtbot.waitUntil(lambda: window.viewport.frame_array is not None, timeout=WAIT_MS)
    assert not window.welcome.isVisible() and window.viewport.isVisible()
    # undoing the drop empties the project: back to the welcome page
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    assert window.project.portrait is None and on_welcome(window)


def test_choose_portrait_takes_the_path_of_a_drop(qtbot, open_window, portrait_path,
                                                  monkeypatch):
    window = open_window()
    monkeypatch.setattr("studio.ui.file_dialogs.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(portrait_path), ""))
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        qtbot.mouseClick(window.welcome.drop_area.choose_portrait, Qt.LeftButton)
    assert Path(window.project.portrait) == portrait_path and window.project.audio is None
    assert window.viewport.isVisible() and window.undo_stack.canUndo()


def test_recent_projects_that_exist_are_listed_and_open_on_click(qtbot, open_window, settings,
                                                                tmp_path, portrait_path, rig):
    saved = tmp_path / "interview.json"
    Document(Project(portrait=str(portrait_path))).save(saved)
    settings.setValue("recent", [str(tmp_path / "gone.json"), str(saved)])
    window = open_window()
    window.rigs[str(portrait_path)] = rig
    items = window.welcome.recent
    assert [item.path for item in items] == [saved]
    assert items[0].name.text() == "interview" and not window.welcome.no_recent.isVisible()
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        qtbot.mouseClick(items[0], Qt.LeftButton)
    assert window.doc.path == saved and Path(window.project.portrait) == portrait_path
    assert not window.welcome.isVisible()
    assert settings.value("recent")[0] == str(saved)


def test_without_the_diffusion_packages_the_renderer_says_what_to_install(
        qtbot, open_window, diffusion_missing):
    window = open_window()
    combo = window.inspector.renderer
    index = combo.findText("diffusion")
    assert index >= 0, "the choice stays in the list"
    assert not combo.model().item(index).isEnabled()
    assert combo.model().item(combo.findText("mesh")).isEnabled()
    note = window.inspector.renderer_notes["diffusion"]
    assert note.isVisible()
    assert note.text().startswith("The diffusion renderer needs torch and diffusers")
    assert "make package DIFFUSION=1" in note.text()
    assert "pip install torch==2.13.0" in note.toolTip()
    assert combo.itemData(index, Qt.ToolTipRole) == note.toolTip()


def test_with_the_diffusion_packages_there_is_no_note(open_window):
    window = open_window()
    combo = window.inspector.renderer
    assert combo.model().item(combo.findText("diffusion")).isEnabled()
    assert window.inspector.renderer_notes == {}


def test_a_diffusion_project_in_an_installation_without_it_is_explained_once(
        qtbot, open_window, diffusion_missing, tmp_path, portrait_path, rig):
    path = tmp_path / "diffusion.json"
    project = Project(portrait=str(portrait_path), width=64, height=64,
                      render=RenderSettings("diffusion", {"diffusion": {"device": "cpu"}}))
    Document(project).save(path)
    window = open_window()
    window.rigs[str(portrait_path)] = rig
    drop_on(window.welcome.drop_area, path)  # a project file dropped opens
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=WAIT_MS)
    box = window.error_box
    assert box.text() == window.inspector.renderer_notes["diffusion"].toolTip()
    assert window.project.render.renderer == "diffusion" and window.doc.path == path
    assert window.viewport.isVisible() and window.viewport.frame_array is None
    assert window.viewport.message == "No preview" and "torch" in window.viewport.detail
    box.close()
    # every later frame fails the same way: the status bar notes it, no dialog per frame
    for frame in (3, 5, 8):
        window.set_frame(frame)
        window.worker.wait_idle(30)
        QApplication.processEvents()
    qtbot.waitUntil(lambda: "Preview failed" in window.statusBar().currentMessage())
    assert window.error_box is box
    # the mesh renderer still works: choosing it previews the portrait
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.inspector.settingChanged.emit("render.renderer", "mesh")
    assert window.viewport.frame_array is not None


def test_gui_screenshot_mode_pictures_the_welcome_page_or_the_first_frame_and_quits(tmp_path):
    """What the packaging smoke test runs on the bundle (`studio gui --screenshot`), here from
    source, in a process of its own with its own empty settings."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    faceless = tmp_path / "faceless.json"  # a portrait with no face: analysis refuses it
    wall = tmp_path / "wall.png"
    QImage(256, 256, QImage.Format_RGB32).save(str(wall))
    Document(Project(portrait=str(wall))).save(faceless)
    studio_exe = Path(sys.executable).with_name("studio")
    for name, args in (("welcome", []), ("sample", [str(SAMPLE_PROJECT)]),
                       ("missing", [str(tmp_path / "gone.json")]), ("faceless", [str(faceless)])):
        shot = tmp_path / f"{name}.png"
        result = subprocess.run([str(studio_exe), "gui", "--screenshot", str(shot), *args],
                                env=env, capture_output=True, text=True, timeout=240)
        if name in ("missing", "faceless"):  # no picture, exit 1, and the reason
            assert result.returncode == 1
            assert ("gone.json" if name == "missing" else "wall.png") in result.stderr
            assert not shot.exists()
            continue
        assert result.returncode == 0, result.stderr[-500:]
        image = QImage(str(shot))
        assert image.width() >= 640 and image.height() >= 480
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > (1000 if name == "sample" else 20), name  # a photo, or the page
