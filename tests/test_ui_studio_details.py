"""Smaller things a person meets in the studio (issue 10), each used through real input events:
the transcript field, "Back to automatic" on a viseme, the export's replace question, the `tiny`
model's name and the models-folder message.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QToolTip

from studio.conditioning.visemes import resolve
from studio.doc.io import save_project
from studio.ui.media import audio_key
from studio.doc.project import Project, RenderSettings
from studio.render.registry import settings_of
from media_probe import decode_video
from test_ui_window import WAIT_MS, analysed, drop, loaded, settings, window  # noqa: F401 (fixtures)


def type_into(widget, text: str) -> None:
    """Click a field, select what it holds and type over it, as a person does."""
    QTest.mouseClick(widget, Qt.LeftButton)
    QTest.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(widget, text)


def answer_next_question(button) -> list[str]:
    """Click `button` of the next message box that opens (a modal one runs its own event loop,
    so the click is sent from a timer); returns the texts of the boxes answered."""
    texts: list[str] = []

    def answer(tries: int = 200) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            texts.append(box.text())
            QTest.mouseClick(box.button(button), Qt.LeftButton)
        elif tries:
            QTimer.singleShot(20, lambda: answer(tries - 1))

    QTimer.singleShot(0, answer)
    return texts


def test_export_asks_before_replacing_an_existing_file(qtbot, loaded, tmp_path):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"an earlier export")
    QTest.keyClick(loaded, Qt.Key_E, Qt.ControlModifier)
    dialog = loaded.last_export_dialog
    qtbot.waitExposed(dialog)
    type_into(dialog.path, str(out))
    for box, value in ((dialog.width_box, "64"), (dialog.height_box, "64"), (dialog.end, "4")):
        type_into(box, value)
    export = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    # No: back to the dialog, nothing started, the file as it was
    asked = answer_next_question(QMessageBox.No)
    QTest.mouseClick(export, Qt.LeftButton)
    assert asked == ["clip.mp4 already exists. Replace it?"]
    assert dialog.isVisible() and not loaded.exporter.running
    assert out.read_bytes() == b"an earlier export"
    # Yes: the export replaces it
    asked = answer_next_question(QMessageBox.Yes)
    with qtbot.waitSignal(loaded.exportFinished, timeout=WAIT_MS) as finished:
        QTest.mouseClick(export, Qt.LeftButton)
    assert asked == ["clip.mp4 already exists. Replace it?"] and not dialog.isVisible()
    assert finished.args[0] == out and decode_video(out).shape == (5, 64, 64, 3)


def diffusion_field(window, name: str):
    return window.inspector.renderer_forms["diffusion"].fields[name]


def open_diffusion_project(qtbot, window, tmp_path, model: str) -> None:
    """A project rendered by diffusion (no media: nothing renders), dropped on the window."""
    path = tmp_path / "diffusion.json"
    save_project(Project(render=RenderSettings("diffusion", {"diffusion": {"model": model}})), path)
    drop(window, path)
    qtbot.waitUntil(lambda: window.inspector.renderer_forms["diffusion"].isEnabled())
    assert settings_of(window.project.render)["model"] == model


def test_a_preset_without_weights_points_at_the_inspectors_models_folder(qtbot, window, tmp_path,
                                                                         monkeypatch):
    monkeypatch.delenv("STUDIO_MODELS", raising=False)
    open_diffusion_project(qtbot, window, tmp_path, "tiny")
    QTest.keyClick(diffusion_field(window, "model"), Qt.Key_Up)  # the preset above: SD1.5, no folder
    message = window.error_box.text()
    assert "'sd15-mediapipe-face-lcm' needs a models folder" in message
    assert "Models folder > Choose… in the inspector" in message
    assert "--models" not in message and "STUDIO_MODELS" not in message
    assert settings_of(window.project.render)["model"] == "tiny"


def test_a_chosen_models_folder_that_is_gone_is_refused_in_the_studios_words(
        qtbot, window, tmp_path, monkeypatch):
    """The folder check's message too (not only the missing-folder one) names the inspector's
    Models folder > Choose…, not the command line's flag."""
    monkeypatch.delenv("STUDIO_MODELS", raising=False)
    open_diffusion_project(qtbot, window, tmp_path, "tiny")
    gone = tmp_path / "not-there"
    monkeypatch.setattr("studio.ui.renderer_form.QFileDialog.getExistingDirectory",
                        lambda *a, **k: str(gone))
    QTest.mouseClick(window.inspector.renderer_forms["diffusion"].choose_buttons["models_dir"], Qt.LeftButton)
    assert settings_of(window.project.render)["models_dir"] == str(gone)  # tiny needs none yet
    QTest.keyClick(diffusion_field(window, "model"), Qt.Key_Up)  # SD1.5: its folder is checked
    message = window.error_box.text()
    assert "does not exist" in message, message
    assert "Models folder > Choose… in the inspector" in message
    assert "--models" not in message and "STUDIO_MODELS" not in message
    assert settings_of(window.project.render)["model"] == "tiny"


def test_the_tiny_model_is_named_a_test_pattern(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.delenv("STUDIO_MODELS", raising=False)
    open_diffusion_project(qtbot, window, tmp_path, "sd15-mediapipe-face-lcm")
    model = diffusion_field(window, "model")
    tiny = model.findData("tiny")
    assert model.itemText(tiny) == "tiny — test pattern (random weights)"
    assert "test pattern" in model.itemData(tiny, Qt.ToolTipRole)
    QTest.keyClick(model, Qt.Key_Down)  # the next preset down: tiny, built in
    assert settings_of(window.project.render)["model"] == "tiny"  # the preset's name, not the label
    qtbot.waitUntil(lambda: "test pattern" in model.toolTip())
    assert model.currentText() == "tiny — test pattern (random weights)"


def viseme_menu(qtbot, window, segment):
    """Right-click a viseme segment on the timeline; the menu that pops up."""
    timeline = window.timeline
    middle = timeline.time_to_view((segment.start + segment.end) / 2, "visemes")
    QTest.mouseClick(timeline.view.viewport(), Qt.RightButton, Qt.NoModifier, middle)
    menu = timeline.context_menu
    qtbot.waitExposed(menu)
    return menu


def choose(menu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text() == text)
    QTest.mouseClick(menu, Qt.LeftButton, Qt.NoModifier, menu.actionGeometry(action).center())


def test_an_overridden_viseme_goes_back_to_automatic_in_one_step(qtbot, loaded):
    loaded.timeline.vb.setXRange(0.0, 3.0, padding=0)  # segments wide enough to click
    segments = loaded.project.tracks.visemes
    index = next(i for i, s in enumerate(segments)
                 if s.viseme not in ("rest", "O") and s.end - s.start > 0.08)
    automatic = segments[index]
    menu = viseme_menu(qtbot, loaded, automatic)
    assert not next(a for a in menu.actions() if a.text() == "Back to automatic").isEnabled()
    choose(menu, "O")
    overridden = loaded.project.tracks.visemes[index]
    assert (overridden.viseme, overridden.source) == ("O", "user")
    menu = viseme_menu(qtbot, loaded, overridden)
    with qtbot.waitSignal(loaded.frameShown, timeout=WAIT_MS):
        choose(menu, "Back to automatic")
    assert loaded.project.tracks.visemes == segments  # the lip sync's shape, "auto" again
    assert loaded.undo_stack.count() == 2
    # offscreen, the closed menu stays the active window: back to the studio's, as a click would
    loaded.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is loaded)
    QTest.keyClick(loaded, Qt.Key_Z, Qt.ControlModifier)
    assert loaded.project.tracks.visemes[index] == overridden


# the sample's words with one changed: its lip sync differs from the automatic one, which
# aligned the sample's own speech.txt beside the clip
SAID = ("Hello there. My name is Eileen, and I flew to the moon last spring. Every morning, we "
        "watched the sun rise over the blue planet below. It was the most beautiful thing I "
        "have ever seen.")


def test_a_transcript_typed_in_the_media_panel_reruns_lip_sync_keeping_the_artists_visemes(
        qtbot, loaded):
    loaded.timeline.vb.setXRange(0.0, 3.0, padding=0)
    index = next(i for i, s in enumerate(loaded.project.tracks.visemes)
                 if s.viseme not in ("rest", "O") and s.end - s.start > 0.08)
    choose(viseme_menu(qtbot, loaded, loaded.project.tracks.visemes[index]), "O")
    yours = loaded.project.tracks.visemes[index]
    before = list(loaded.project.tracks.visemes)
    panel = loaded.media_panel
    QTest.mouseClick(panel.transcript.viewport(), Qt.LeftButton)
    QTest.keyClicks(panel.transcript, SAID)
    assert loaded.project.transcript is None  # typing alone changes nothing
    with qtbot.waitSignal(loaded.analysisFinished, timeout=3 * WAIT_MS):
        QTest.mouseClick(panel.apply_transcript, Qt.LeftButton)
    project = loaded.project
    assert project.transcript == SAID
    bar = loaded.statusBar()
    assert f"({len(SAID.split())} words)" in bar.currentMessage()
    # the message may be cut at the frame counter: resting the pointer on it shows all of it
    QApplication.sendEvent(bar, QHelpEvent(QEvent.ToolTip, QPoint(10, 5),
                                           bar.mapToGlobal(QPoint(10, 5))))
    assert QToolTip.text() == bar.currentMessage()
    aligned = loaded.audio[audio_key(project)].visemes
    assert project.tracks.visemes == resolve(aligned + [yours]) != before
    assert yours in project.tracks.visemes
    assert loaded.undo_stack.count() == 2  # the override, then the transcript with its lip sync
    loaded.activateWindow()  # offscreen, the closed menu stayed the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is loaded)
    QTest.keyClick(loaded.timeline.view.viewport(), Qt.Key_Z, Qt.ControlModifier)
    assert loaded.project.transcript is None and loaded.project.tracks.visemes == before
    assert panel.transcript.toPlainText() == ""


def test_an_opened_project_shows_its_transcript(qtbot, window, tmp_path):
    path = tmp_path / "said.json"
    save_project(Project(transcript=SAID), path)
    drop(window, path)
    assert window.media_panel.transcript.toPlainText() == SAID



def test_another_voice_drops_the_transcript_of_the_one_before(qtbot, loaded, tmp_path):
    """The transcript belongs to its voice: choosing another clip clears it (in the project and
    the media panel), lip sync runs without it, and undoing the drop brings both back."""
    import shutil

    panel = loaded.media_panel
    QTest.mouseClick(panel.transcript.viewport(), Qt.LeftButton)
    QTest.keyClicks(panel.transcript, SAID)
    with qtbot.waitSignal(loaded.analysisFinished, timeout=3 * WAIT_MS):
        QTest.mouseClick(panel.apply_transcript, Qt.LeftButton)
    first = loaded.project.audio
    other = tmp_path / "another take.wav"
    shutil.copyfile(first, other)
    with qtbot.waitSignal(loaded.analysisFinished, timeout=3 * WAIT_MS):
        drop(loaded, other)
    assert loaded.project.audio == str(other) and loaded.project.transcript is None
    assert panel.transcript.toPlainText() == ""
    assert audio_key(loaded.project) in loaded.audio  # analysed without the old words
    steps = [loaded.undo_stack.text(i) for i in range(loaded.undo_stack.count())]
    assert steps[-2:] == ["Add another take.wav", "Lip sync another take.wav"]
    loaded.actions_by_name["undo"].trigger()
    loaded.actions_by_name["undo"].trigger()
    assert loaded.project.audio == first and loaded.project.transcript == SAID
    assert panel.transcript.toPlainText() == SAID


def test_the_test_pattern_notice_follows_the_renderer_through_undo_and_redo(qtbot, loaded):
    """Diffusion on the built-in model says it shows a test pattern; undoing back to the mesh
    takes the line away, redoing brings it back (it was said only when the setting was typed)."""
    bar = loaded.statusBar()
    loaded.inspector.settingChanged.emit("render.renderer", "diffusion")
    assert "test pattern" in bar.currentMessage(), bar.currentMessage()
    loaded.undo_stack.undo()
    assert loaded.project.render.renderer == "mesh"
    assert "test pattern" not in bar.currentMessage(), bar.currentMessage()
    loaded.undo_stack.redo()
    assert "test pattern" in bar.currentMessage(), bar.currentMessage()
    loaded.undo_stack.undo()
