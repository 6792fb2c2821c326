"""The diffusion renderer in the studio window: the mesh frame first, then each denoising step,
then the final decode; the inspector's model and models-folder settings refuse unusable folders.

Uses the tiny random-weight preset saved with save_pretrained at 64x64, so it runs on the CPU.
"""

from __future__ import annotations


import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.doc.document import Document
from studio.doc.project import Key, Project, RenderSettings
from studio.jobs import CancelToken
from studio.render.registry import create_renderer
from studio.ui.media import analyze_portrait_file
from studio.render.registry import settings_of
from qt_windows import close_window, fresh_settings, make_window

WAIT_MS = 120_000
STEPS, STRENGTH = 4, 0.75  # three denoising steps


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    from studio.render.diffusion.tiny import save_tiny_preset

    root = tmp_path_factory.mktemp("models")
    save_tiny_preset(root / "tiny")
    return root


@pytest.fixture(scope="module")
def rig(portrait_path):
    return analyze_portrait_file(portrait_path, CancelToken())


@pytest.fixture
def window(qtbot, tmp_path):
    window = make_window(qtbot, fresh_settings(tmp_path))
    yield window
    close_window(window)


def diffusion_project(portrait_path, models_dir) -> Project:
    settings = {"model": "tiny", "steps": STEPS, "strength": STRENGTH, "cache": False,
                "device": "cpu", "models_dir": str(models_dir)}
    project = Project(portrait=str(portrait_path), width=64, height=64,
                      render=RenderSettings("diffusion", {"diffusion": settings}))
    project.tracks.head_yaw.keys = [Key(0.0, 15.0)]
    return project


def test_a_diffusion_frame_sharpens_step_by_step_in_the_viewport(qtbot, window, rig,
                                                                 portrait_path, models_dir):
    project = diffusion_project(portrait_path, models_dir)
    window.rigs[project.portrait] = rig
    steps, pictures = [], []

    def refined(index, step):
        steps.append(step)
        pictures.append(window.viewport.frame_array.copy())

    window.frameRefined.connect(refined)
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.session.set_document(Document(project))
    final = window.viewport.frame_array.copy()
    assert steps == [0, 1, 2, 3]  # the mesh render the denoising starts from, then each step
    assert all(p.shape == (64, 64, 3) for p in pictures) and final.shape == (64, 64, 3)
    # the first picture is the mesh renderer's frame; the final decode replaces the previews
    mesh = create_renderer(RenderSettings("mesh"))
    mesh.prepare(rig, 64, 64)
    frame = window.session.signals().frame(0)
    assert np.abs(pictures[0].astype(int) - mesh.render(frame)).mean() < 8
    assert not np.array_equal(pictures[-1], final)
    # the final frame is the diffusion renderer's own, as `studio render` would make it
    direct = create_renderer(project.render, project.seed)
    direct.prepare(rig, 64, 64)
    assert np.array_equal(direct.render(frame), final)
    # the refining line is gone; the built-in model's test-pattern notice stands
    message = window.statusBar().currentMessage()
    assert "efining" not in message and "test pattern" in message, message


def test_models_folder_and_model_preset_refuse_what_the_loader_cannot_use(
        qtbot, window, rig, portrait_path, models_dir, tmp_path, monkeypatch):
    project = diffusion_project(portrait_path, models_dir)
    window.rigs[project.portrait] = rig
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.session.set_document(Document(project))
    fields = window.inspector.renderer_forms["diffusion"].fields
    model = fields["model"]
    qtbot.waitUntil(lambda: model.currentData() == "tiny")
    # a real model preset over a folder that lacks its weights: the loader's message, reverted
    model.setCurrentText("sd15-mediapipe-face")
    model.activated.emit(model.currentIndex())
    assert "incomplete" in window.error_box.text() and "U-Net" in window.error_box.text()
    assert settings_of(window.project.render)["model"] == "tiny"
    qtbot.waitUntil(lambda: model.currentData() == "tiny")
    # the folder picker: an empty folder is fine for the built-in tiny preset (written there)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr("studio.ui.renderer_form.QFileDialog.getExistingDirectory",
                        lambda *a, **k: str(empty))
    window.inspector.renderer_forms["diffusion"].choose_buttons["models_dir"].click()
    assert settings_of(window.project.render)["models_dir"] == str(empty)
    window.undo_stack.undo()
    assert settings_of(window.project.render)["models_dir"] == str(models_dir)
    # steps, strength, cache and device go through the undo stack too
    fields["steps"].setValue(6)
    fields["cache"].setChecked(True)
    assert settings_of(window.project.render)["steps"] == 6
    assert settings_of(window.project.render)["cache"]
    window.worker.wait_idle(60)


def test_the_landmarks_overlay_follows_the_diffusion_frames_face(qtbot, window, rig,
                                                                  portrait_path, models_dir):
    project = diffusion_project(portrait_path, models_dir)
    # the diffusion renderer poses its mesh at the pipeline's working size (a multiple of the
    # latent grid) and stretches the result to the output size: the overlay's landmarks must be
    # the mesh renderer's at the working size, stretched the same way
    diffusion = create_renderer(project.render, project.seed)
    diffusion.prepare(rig, 200, 150)
    multiple = diffusion.pipeline.size_multiple
    work = [max(multiple, round(side / multiple) * multiple) for side in (200, 150)]
    assert work != [200, 150]
    mesh = create_renderer(RenderSettings("mesh"))
    mesh.prepare(rig, *work)
    stretch = np.array([200, 150]) / np.array(work)
    still, turned = ControlFrame(), ControlFrame(yaw=20.0)
    for frame in (still, turned):
        expected = mesh.posed_landmarks(frame) * stretch
        assert np.abs(diffusion.posed_landmarks(frame) - expected).max() < 1e-3
    assert np.abs(diffusion.posed_landmarks(turned) - diffusion.posed_landmarks(still)).max() > 4

    window.rigs[project.portrait] = rig
    window.actions_by_name["overlay_landmarks"].trigger()
    with qtbot.waitSignal(window.frameShown, timeout=WAIT_MS):
        window.session.set_document(Document(project))
    landmarks = window.viewport.landmarks
    assert landmarks is not None and landmarks.shape == (478, 2)
    assert (landmarks >= 0).all() and (landmarks <= 64).all()  # on the 64 x 64 frame
