"""The studio window driven like a user: drops, timeline drags, shortcuts, menus, export.

Offscreen (QT_QPA_PLATFORM=offscreen, set in conftest). Analysis of the real portrait and speech
runs once per session; windows then start with it cached, as a reopened project would.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from studio.cli import main as studio_main
from studio.conditioning.blinks import refresh_auto_blinks
from studio.doc.document import Document
from studio.doc.project import Key, Project
from studio.jobs import CancelToken
from studio.ui import autosave
from studio.ui.main_window import MainWindow
from studio.ui.media import analyze_portrait_file, audio_key, full_audio, quick_audio
from studio.ui.timeline.keys import KeyRef, key_refs
from gui_driver import MOVE_INTERVAL_MS
from media_probe import decode_video, describe
from qt_windows import close_window, fresh_settings, make_window

WAIT_MS = 60_000


@pytest.fixture(scope="session")
def analysed(portrait_path, speech_path):
    token = CancelToken()
    rig = analyze_portrait_file(portrait_path, token)
    quick = quick_audio(speech_path, 25, token)
    project = Project(portrait=str(portrait_path), audio=str(speech_path),
                      duration=round(quick.clip.duration, 6))
    return rig, full_audio(quick, project, token), project


@pytest.fixture
def settings(tmp_path):
    return fresh_settings(tmp_path)


@pytest.fixture
def window(qtbot, settings):
    window = make_window(qtbot, settings)
    yield window
    close_window(window)


@pytest.fixture
def loaded(qtbot, window, analysed):
    """A window showing the sample project, with two head-yaw keys to drag."""
    rig, audio, base = analysed
    project = copy.deepcopy(base)
    project.tracks.visemes = list(audio.visemes)
    project.tracks.head_yaw.keys = [Key(0.0, 0.0, "linear"), Key(2.0, 0.0, "linear")]
    project.tracks.blinks = refresh_auto_blinks(project, audio.performance)
    window.rigs[project.portrait] = rig
    window.audio[audio_key(project)] = audio
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.session.set_document(Document(project))
    return window


def drop(window: MainWindow, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = window.viewport
    pos = QPointF(target.width() / 2, target.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton,
                                              Qt.NoModifier))


def mouse_drag(widget, start: QPointF, end: QPointF, modifiers=Qt.NoModifier, steps=6) -> None:
    def send(kind, pos, buttons):
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.LeftButton, buttons, modifiers)
        QApplication.sendEvent(widget, event)

    send(QEvent.MouseButtonPress, start, Qt.LeftButton)
    for i in range(1, steps + 1):
        QTest.qWait(MOVE_INTERVAL_MS)  # pyqtgraph drops moves that come faster
        send(QEvent.MouseMove, start + (end - start) * (i / steps), Qt.LeftButton)
    send(QEvent.MouseButtonRelease, end, Qt.NoButton)


def settle(qtbot, window: MainWindow) -> None:
    """Wait until the worker has delivered the newest request's frame."""
    qtbot.waitUntil(lambda: window.worker.wait_idle(0.01)
                    and window.viewport.frame_array is not None
                    and window.preview.shown_generation == window.worker.generation,
                    timeout=WAIT_MS)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def studio_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("studio-")]


def test_dropping_portrait_and_voice_makes_a_talking_project(qtbot, window, portrait_path,
                                                             speech_path, analysed):
    with qtbot.waitSignal(window.analysisFinished, timeout=WAIT_MS):
        drop(window, portrait_path, speech_path)
    project = window.project
    assert Path(project.portrait) == portrait_path and Path(project.audio) == speech_path
    assert project.duration == pytest.approx(13.18, abs=0.05)
    assert project.tracks.visemes, "lip sync filled the viseme track"
    settle(qtbot, window)
    frame = window.viewport.frame_array
    assert frame is not None and frame.shape == (512, 512, 3)
    assert similarity(frame, analysed[0].image) > 0.9  # the portrait itself, posed at frame 0
    assert window.isWindowModified() and "Untitled" in window.windowTitle()
    # the mouth moves with the voice: a loud frame differs from the silent first frame
    loudest = int(np.argmax(window.audio[audio_key(project)].performance.loudness))
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.set_frame(loudest)
    assert np.abs(window.viewport.frame_array.astype(int) - frame).max() > 40
    # undoing the drop empties the project again
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    assert window.project.portrait is None and window.project.audio is None


def test_portrait_then_voice_one_after_the_other(qtbot, window, portrait_path, speech_path):
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        drop(window, portrait_path)
    assert window.project.portrait == str(portrait_path) and window.project.frame_count() == 1
    with qtbot.waitSignal(window.analysisFinished, timeout=WAIT_MS):
        drop(window, speech_path)
    assert window.project.portrait == str(portrait_path)
    assert window.project.frame_count() == 330


def test_bad_files_get_a_dialog_and_leave_the_project_alone(qtbot, loaded, tmp_path):
    before = copy.deepcopy(loaded.project)
    notes = tmp_path / "notes.txt"
    notes.write_text("not media")
    drop(loaded, notes)
    assert "notes.txt" in loaded.error_box.text()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 this is not really a jpeg")
    loaded.error_box = None
    drop(loaded, broken)
    qtbot.waitUntil(lambda: loaded.error_box is not None, timeout=WAIT_MS)
    assert "broken.jpg" in loaded.error_box.text()
    bad_project = tmp_path / "bad.json"
    bad_project.write_text('{"schema": 1, "fps": "fast"}')
    assert not loaded.open_project(bad_project)
    assert "bad.json" in loaded.error_box.text() or "fps" in loaded.error_box.text()
    assert loaded.project == before


def test_dragging_a_key_changes_the_frame_and_undo_restores_it(qtbot, loaded):
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        loaded.set_frame(25)  # t = 1 s, halfway between the two yaw keys
    original = loaded.viewport.frame_array.copy()
    timeline = loaded.timeline
    ref = KeyRef("head_yaw", 1)
    start = QPointF(timeline.key_scene_pos(ref))
    end = start + QPointF(0, -60)  # upward: more yaw
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        mouse_drag(timeline.view.viewport(), start, end, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: loaded.worker.wait_idle(0.01))
    key = loaded.project.tracks.head_yaw.keys[1]
    assert key.t == 2.0  # Shift locked the time axis
    assert key.v > 5.0
    assert loaded.undo_stack.count() == 1  # one gesture, one undo step
    qtbot.waitUntil(lambda: not np.array_equal(loaded.viewport.frame_array, original),
                    timeout=WAIT_MS)
    assert np.abs(loaded.viewport.frame_array.astype(int) - original).mean() > 1.0
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        QTest.keyClick(loaded, Qt.Key_Z, Qt.ControlModifier)
    assert loaded.project.tracks.head_yaw.keys[1].v == 0.0
    assert np.array_equal(loaded.viewport.frame_array, original)


def test_dragging_keys_in_time_snaps_to_frames_and_box_select(qtbot, loaded):
    timeline = loaded.timeline
    view = timeline.view.viewport()
    start = QPointF(timeline.key_scene_pos(KeyRef("head_yaw", 1)))
    mouse_drag(view, start, start + QPointF(37.3, 0), Qt.ShiftModifier)
    t = loaded.project.tracks.head_yaw.keys[1].t
    assert t > 2.0 and abs(t * 25 - round(t * 25)) < 1e-9  # on a frame
    # a rubber band around both yaw keys selects them, Delete removes both in one step
    a = QPointF(timeline.key_scene_pos(KeyRef("head_yaw", 0)))
    b = QPointF(timeline.key_scene_pos(KeyRef("head_yaw", 1)))
    mouse_drag(view, QPointF(a.x() - 5, a.y() - 8), QPointF(b.x() + 5, b.y() + 8))
    assert set(timeline.selected()) == {KeyRef("head_yaw", 0), KeyRef("head_yaw", 1)}
    QTest.keyClick(loaded, Qt.Key_Delete)
    assert loaded.project.tracks.head_yaw.keys == []
    assert loaded.undo_stack.count() == 2


def test_keyboard_transport_and_keys(qtbot, loaded):
    QTest.keyClick(loaded, Qt.Key_Right)
    QTest.keyClick(loaded, Qt.Key_Right)
    assert loaded.frame == 2 and loaded.timeline.playhead.value() == pytest.approx(0.08)
    QTest.keyClick(loaded, Qt.Key_Right, Qt.ShiftModifier)
    assert loaded.frame == 27
    QTest.keyClick(loaded, Qt.Key_Left)
    assert loaded.frame == 26
    QTest.keyClick(loaded, Qt.Key_End)
    assert loaded.frame == 329
    QTest.keyClick(loaded, Qt.Key_Home)
    assert loaded.frame == 0
    # K while stopped adds a key on the active track at the playhead
    loaded.set_frame(37)
    QTest.keyClick(loaded, Qt.Key_K)
    assert [k.t for k in loaded.project.tracks.head_yaw.keys] == [0.0, 1.48, 2.0]
    assert loaded.undo_stack.count() == 1
    # Space plays (the playhead advances), K pauses while playing
    QTest.keyClick(loaded, Qt.Key_Space)
    assert loaded.playback.playing
    qtbot.waitUntil(lambda: loaded.frame > 39, timeout=WAIT_MS)
    QTest.keyClick(loaded, Qt.Key_K)
    assert not loaded.playback.playing and loaded.undo_stack.count() == 1
    # L twice doubles the speed, J reverses
    QTest.keyClick(loaded, Qt.Key_L)
    QTest.keyClick(loaded, Qt.Key_L)
    assert loaded.playback.speed == 2.0
    QTest.keyClick(loaded, Qt.Key_J)
    assert loaded.playback.speed == -1.0
    QTest.keyClick(loaded, Qt.Key_Space)
    assert not loaded.playback.playing
    QTest.keyClick(loaded, Qt.Key_A, Qt.ControlModifier)
    assert set(loaded.timeline.selected()) == set(key_refs(loaded.project))


def test_save_close_reopen_gives_the_same_project(qtbot, loaded, settings, tmp_path, analysed):
    loaded.timeline.keyAddRequested.emit("head_pitch", "v", 1.0, 12.0)
    loaded.inspector.settingChanged.emit("seed", 7)
    edited = copy.deepcopy(loaded.project)
    path = tmp_path / "scene.json"
    assert loaded.save_to(path)
    assert not loaded.isWindowModified() and "scene" in loaded.windowTitle()
    close_window(loaded)
    assert studio_threads() == []
    again = make_window(qtbot, settings)
    try:
        again.rigs[edited.portrait] = analysed[0]
        again.audio[audio_key(edited)] = analysed[1]
        recent = [a.text() for a in again.recent_menu.actions()]
        assert recent == ["scene.json"]
        again.recent_menu.actions()[0].trigger()
        assert again.project == edited
        assert again.project.tracks.head_pitch.keys[0].v == 12.0 and again.project.seed == 7
    finally:
        close_window(again)


def test_closing_with_unsaved_changes_asks(qtbot, loaded, monkeypatch):
    loaded.timeline.keyAddRequested.emit("head_roll", "v", 1.0, 5.0)
    answers = []

    def answer(choice):
        def ask(*args, **kwargs):
            answers.append(args[2])
            return choice
        return ask

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Cancel))
    assert not loaded.close() and loaded.isVisible()
    assert "Save changes" in answers[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.Discard))
    assert loaded.close()
    assert studio_threads() == []


def test_export_from_the_dialog_writes_a_video_with_sound(qtbot, loaded, tmp_path):
    loaded.timeline.keyAddRequested.emit("head_yaw", "v", 1.5, 10.0)  # unsaved work
    loaded.actions_by_name["export"].trigger()
    dialog = loaded.last_export_dialog
    out = tmp_path / "clip.mp4"
    dialog.path.setText(str(out))
    dialog.width_box.setValue(256)
    dialog.height_box.setValue(256)
    dialog.start.setValue(25)
    dialog.end.setValue(49)
    with qtbot.waitSignal(loaded.exportFinished, timeout=WAIT_MS) as finished:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
        assert loaded.export_progress.isVisible()
        loaded.set_frame(10)  # editing goes on during the export
    assert finished.args[0] == out and out.is_file()
    assert decode_video(out).shape == (25, 256, 256, 3)
    assert "Audio: aac" in describe(out)
    assert "Show in Folder" in [b.text() for b in loaded.notification.buttons()]
    assert autosave.sidecar_for(loaded.doc).is_file()  # export autosaved first


def test_export_can_be_cancelled(qtbot, loaded, tmp_path):
    loaded.actions_by_name["export"].trigger()
    dialog = loaded.last_export_dialog
    out = tmp_path / "long.mp4"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(loaded.exportFinished, timeout=WAIT_MS) as finished:
        dialog.accept()
        loaded.export_progress.cancel.click()
    assert finished.args[0] is None and not out.exists()


def test_menus_overlays_and_help(qtbot, loaded):
    titles = [a.text().replace("&", "") for a in loaded.menuBar().actions()]
    assert titles[:2] == ["File", "Edit"] and "View" in titles and "Help" in titles
    file_menu = loaded.menuBar().actions()[0].menu()
    names = [a.text().replace("&", "") for a in file_menu.actions() if a.text()]
    for expected in ("New", "Open…", "Open Recent", "Save", "Save As…", "Export…", "Quit"):
        assert expected in names
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        loaded.actions_by_name["overlay_landmarks"].trigger()
    assert loaded.viewport.landmarks is not None and loaded.viewport.landmarks.shape[0] >= 468
    loaded.actions_by_name["overlay_original"].trigger()
    loaded.actions_by_name["overlay_safe_frame"].trigger()
    image = loaded.viewport.grab().toImage()
    assert image.width() > 0
    loaded.actions_by_name["shortcuts"].trigger()
    assert "K" in loaded.help_box.text() and "pause" in loaded.help_box.text()


def test_no_thread_left_running_after_the_window_closes(qtbot, settings, analysed):
    window = make_window(qtbot, settings)
    rig, audio, project = analysed
    window.rigs[project.portrait] = rig
    window.audio[audio_key(project)] = audio
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.session.set_document(Document(copy.deepcopy(project)))
    window.shuttle(1)
    assert studio_threads()
    close_window(window)
    assert studio_threads() == []
    assert not window.worker.is_alive()


def test_the_window_leaves_the_screen_before_its_threads_are_joined(qtbot, loaded):
    """Quit with an analysis still running: the window is gone at once, not seconds later
    when the analysis ends and its thread is joined."""
    release = threading.Event()
    loaded.tasks.start("analysis", lambda token: release.wait(30), on_done=lambda _: None,
                       on_error=lambda _: None)
    seen = []
    join = loaded.tasks.shutdown

    def shutdown(*args, **kwargs):
        seen.append(loaded.isVisible())
        release.set()
        return join(*args, **kwargs)

    loaded.tasks.shutdown = shutdown
    loaded.undo_stack.setClean()
    QTest.keyClick(loaded, Qt.Key_Q, Qt.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert seen == [False]


def test_the_viewport_shows_the_frames_studio_render_writes(qtbot, loaded, tmp_path):
    """One engine: the app's preview equals `studio render` of the saved project, pixel for pixel
    (a PNG sequence, so no codec stands between them)."""
    for name in ("width", "height"):
        loaded.inspector.settingChanged.emit(name, 128)
    loaded.timeline.keyAddRequested.emit("head_yaw", "v", 1.6, 18.0)
    loaded.inspector.settingChanged.emit("style_preset", "energetic")
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        loaded.set_frame(40)
    settle(qtbot, loaded)
    shown = loaded.viewport.frame_array.copy()
    path = tmp_path / "same.json"
    assert loaded.save_to(path)
    out = tmp_path / "frames"
    assert studio_main(["render", "--project", str(path), "-o", str(out), "-q"]) == 0
    rendered = decode_video(out / "frame_00040.png")[0]
    assert shown.shape == (128, 128, 3)
    assert np.array_equal(shown, rendered)


def auto_count(project) -> int:
    return sum(1 for b in project.tracks.blinks if b.source == "auto")


def test_blink_rate_seed_and_style_redraw_automatic_blinks_in_the_same_step(qtbot, loaded):
    stack = loaded.undo_stack
    before = copy.deepcopy(loaded.project.tracks.blinks)
    assert auto_count(loaded.project) >= 2
    # a faster blink rate: more automatic blinks, one undo step
    loaded.timeline.keyAddRequested.emit("blink_rate", "v", 0.0, 55.0)
    assert stack.count() == 1 and auto_count(loaded.project) > len(before) + 3
    stack.undo()
    assert loaded.project.tracks.blinks == before and not loaded.project.tracks.blink_rate.keys
    # a user blink is added and kept; the automatic ones stay as they are
    lane = loaded.timeline._lane["blinks"]
    loaded.timeline._double_click(QPointF(6.0, lane.top + lane.height * 0.2))
    users = [b for b in loaded.project.tracks.blinks if b.source == "user"]
    assert [b.t for b in users] == [6.0]
    assert [b for b in loaded.project.tracks.blinks if b.source == "auto"] == [
        b for b in before if b.source == "auto"]
    # a new seed redraws them (the user blink stays), undone in one step
    loaded.inspector.settingChanged.emit("seed", 11)
    assert users[0] in loaded.project.tracks.blinks
    autos = [b.t for b in loaded.project.tracks.blinks if b.source == "auto"]
    assert autos != [b.t for b in before if b.source == "auto"]
    stack.undo()
    assert loaded.project.seed == 0 and users[0] in loaded.project.tracks.blinks
    # a style preset: style keys, blink rate and redrawn blinks, one step
    done = stack.index()
    loaded.inspector.settingChanged.emit("style_preset", "energetic")
    assert stack.index() == done + 1 and loaded.project.style_preset == "energetic"
    assert loaded.project.tracks.style and loaded.project.tracks.blink_rate.default != 17.0
    stack.undo()
    assert loaded.project.style_preset == "neutral" and loaded.project.tracks.style == []


def test_dragging_an_automatic_blink_makes_it_the_artists_and_delete_removes_it(qtbot, loaded):
    blinks = loaded.project.tracks.blinks
    index = next(i for i, b in enumerate(blinks) if b.source == "auto" and b.t > 1.0)
    ref = KeyRef("blinks", index, "t")
    start = QPointF(loaded.timeline.key_scene_pos(ref))
    mouse_drag(loaded.timeline.view.viewport(), start, start + QPointF(-40, 0), Qt.ShiftModifier)
    moved = [b for b in loaded.project.tracks.blinks if b.source == "user"]
    assert len(moved) == 1 and moved[0].t != blinks[index].t
    total = len(loaded.project.tracks.blinks)
    QTest.keyClick(loaded, Qt.Key_Delete)
    assert len(loaded.project.tracks.blinks) == total - 1
    assert all(b.source == "auto" for b in loaded.project.tracks.blinks)


def test_viseme_override_and_gaze_keys(qtbot, loaded):
    timeline = loaded.timeline
    segments = loaded.project.tracks.visemes
    index = next(i for i, s in enumerate(segments) if s.viseme not in ("rest", "O") and
                 s.end - s.start > 0.05)
    segment = segments[index]
    lane = timeline._lane["visemes"]
    timeline._context_menu(QPointF((segment.start + segment.end) / 2, lane.centre), QPoint(0, 0))
    chosen = next(a for a in timeline.context_menu.actions() if a.text() == "O")
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        chosen.trigger()
    after = loaded.project.tracks.visemes[index]
    assert (after.viseme, after.source) == ("O", "user")
    assert loaded.undo_stack.count() == 1
    loaded.undo_stack.undo()
    assert loaded.project.tracks.visemes[index] == segment
    # gaze: a double-click high in the gaze lane keys the gaze where it is (ahead), on the
    # curve; a drag then sets it
    gaze = timeline._lane["gaze"]
    timeline._double_click(QPointF(1.0, gaze.y_of(20.0)))
    keys = loaded.project.tracks.gaze
    assert len(keys) == 1 and keys[0].t == 1.0
    assert (keys[0].yaw, keys[0].pitch) == (0.0, 0.0)


def test_user_style_presets_save_and_load(qtbot, loaded, tmp_path, monkeypatch):
    loaded.timeline.keyAddRequested.emit("style", "lip_amplitude", 0.0, 1.7)
    loaded.timeline.keyAddRequested.emit("blink_rate", "v", 0.0, 30.0)
    path = tmp_path / "lively.json"
    assert loaded.save_style_preset(path)
    done = loaded.undo_stack.index()
    loaded.undo_stack.undo()
    loaded.undo_stack.undo()
    monkeypatch.setattr("studio.ui.file_dialogs.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(path), ""))
    loaded.actions_by_name["load_style"].trigger()
    project = loaded.project
    assert project.style_preset == str(path)
    assert project.tracks.style[0].lip_amplitude == pytest.approx(1.7)
    assert project.tracks.blink_rate.default == pytest.approx(30.0)
    assert loaded.undo_stack.index() == done - 1
    qtbot.waitUntil(lambda: "lively" in loaded.inspector.preset.currentText())
    settle(qtbot, loaded)  # the engine resolves the preset file


def test_the_inspector_fits_its_dock_at_its_narrowest(qtbot, window):
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QPushButton

    from studio.ui.inspector import MIN_WIDTH

    window.resize(1200, 800)
    window.resizeDocks([window.inspector_dock], [MIN_WIDTH], Qt.Horizontal)
    qtbot.waitUntil(lambda: window.inspector.width() <= MIN_WIDTH + 20)
    inspector = window.inspector
    visible = inspector.viewport().width()
    fields = [w for kind in (QAbstractSpinBox, QComboBox, QPushButton)
              for w in inspector.widget().findChildren(kind)]
    assert inspector.renderer_forms["diffusion"].choose_buttons["models_dir"] in fields
    assert len(fields) > 8
    for field in fields:
        right = field.mapTo(inspector.viewport(), QPoint(field.width(), 0)).x()
        assert right <= visible, f"{field.objectName() or type(field).__name__} is clipped"


def test_undo_and_redo_of_a_several_command_step_redraw_the_timeline_once(qtbot, loaded,
                                                                          monkeypatch):
    timeline = loaded.timeline
    loaded.inspector.settingChanged.emit("style_preset", "energetic")  # preset + blinks: a macro
    assert loaded.undo_stack.command(loaded.undo_stack.index() - 1).childCount() >= 2
    after = copy.deepcopy(loaded.project)
    draws = []
    original = timeline.set_project
    monkeypatch.setattr(timeline, "set_project",
                        lambda *args, **kwargs: (draws.append(1), original(*args, **kwargs)))
    undo, redo = loaded.actions_by_name["undo"], loaded.actions_by_name["redo"]
    assert undo.text().startswith("&Undo ") and undo.isEnabled()
    undo.trigger()
    assert loaded.project.style_preset == "neutral" and loaded.project.tracks.style == []
    assert draws == [1]
    redo.trigger()
    assert loaded.project == after and draws == [1, 1]
    # the stack's own undo() (as scripts and tests call it) is batched the same way
    loaded.undo_stack.undo()
    assert draws == [1, 1, 1] and loaded.project.style_preset == "neutral"


def test_viseme_labels_show_only_where_they_fit_and_narrow_segments_name_themselves_on_hover(
        qtbot, loaded):
    timeline = loaded.timeline
    timeline.fit()
    labels = timeline._viseme_labels
    shown = [label for label, _ in labels if label.isVisible()]
    assert shown and len(shown) < len(labels)  # the whole clip: some fit, the narrow ones not
    rects = sorted((label.sceneBoundingRect() for label in shown), key=lambda r: r.left())
    assert all(a.right() <= b.left() for a, b in zip(rects, rects[1:]))  # no two overlap
    segments = loaded.project.tracks.visemes
    index, (label, _) = next((i, pair) for i, pair in enumerate(labels)
                             if not pair[0].isVisible() and len(segments[i].viseme) > 1)
    segment = segments[index]
    # hovering the hidden one names it
    centre = QPointF((segment.start + segment.end) / 2, timeline._lane["visemes"].centre)
    timeline.view.scene().sigMouseMoved.emit(timeline.vb.mapViewToScene(centre))
    assert timeline._visemes.toolTip().startswith(f"{segment.viseme}  {segment.start:.2f}")
    # zoomed in around it, its label fits and shows
    timeline.vb.setXRange(segment.start - 0.1, segment.end + 0.1, padding=0)
    assert label.isVisible()
    assert label.sceneBoundingRect().width() < (
        timeline.vb.mapViewToScene(QPointF(segment.end, 0)).x()
        - timeline.vb.mapViewToScene(QPointF(segment.start, 0)).x())


def test_a_drag_previews_the_latest_of_the_mouse_moves_of_one_event_loop_turn(qtbot, loaded,
                                                                              monkeypatch):
    # pyqtgraph drops moves closer than 10 ms apart; here every move must reach the timeline
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", 0)
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        loaded.set_frame(50)  # the second yaw key's frame
    settle(qtbot, loaded)
    timeline = loaded.timeline
    view = timeline.view.viewport()
    start = QPointF(timeline.key_scene_pos(KeyRef("head_yaw", 1)))

    def send(kind, pos, buttons):
        QApplication.sendEvent(view, QMouseEvent(kind, pos, view.mapToGlobal(pos), Qt.LeftButton,
                                                 buttons, Qt.ShiftModifier))

    send(QEvent.MouseButtonPress, start, Qt.LeftButton)
    before = loaded.worker.generation
    for dy in range(-10, -70, -10):  # six moves before the event loop runs again
        send(QEvent.MouseMove, start + QPointF(0, dy), Qt.LeftButton)
    assert loaded.worker.generation == before and loaded.project.tracks.head_yaw.keys[1].v == 0
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        pass
    assert loaded.worker.generation == before + 1  # one request, for the last move
    dragged = loaded.viewport.frame_array.copy()
    # the lane shows the dragged key where the last move put it, before the drag is committed
    lane = timeline._lane["pose"]
    preview_v = lane.v_of(timeline._points[timeline._refs.index(KeyRef("head_yaw", 1))][1])
    assert preview_v > 5.0 and loaded.project.tracks.head_yaw.keys[1].v == 0
    send(QEvent.MouseButtonRelease, start + QPointF(0, -60), Qt.NoButton)
    settle(qtbot, loaded)
    assert loaded.project.tracks.head_yaw.keys[1].v == pytest.approx(preview_v, abs=1e-6)
    assert np.array_equal(loaded.viewport.frame_array, dragged)  # the committed frame is the same
