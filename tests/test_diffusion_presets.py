"""Model presets, models-folder resolution and device choice: what a user sees before any weights load."""

from __future__ import annotations

import pytest

from studio.doc.errors import InputError
from studio.render.diffusion.device import choose_device, resolve_device
from studio.render.diffusion.manifests import (
    MODELS_ENV,
    available_presets,
    load_preset,
    resolve_models_dir,
)


def test_every_manifest_names_files_and_licences():
    names = available_presets()
    assert {"tiny", "sd15-mediapipe-face"} <= set(names)
    for name in names:
        preset = load_preset(name)
        assert {"unet", "controlnet", "vae", "text_encoder", "tokenizer", "scheduler"} <= set(preset.components)
        for comp in preset.components.values():
            assert comp.licence and comp.what and comp.files


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(InputError, match="unknown diffusion model preset 'sd99'.*sd15-mediapipe-face.*tiny"):
        load_preset("sd99")


def test_empty_folder_counts_the_missing_files_names_the_parts_and_how_to_list_them(tmp_path):
    """One line a dialog can show (it listed all 12 files): the count, the parts they are
    for, and the command that lists each file with where to get it."""
    preset = load_preset("sd15-mediapipe-face")
    with pytest.raises(InputError) as err:
        preset.check_folder(tmp_path)
    message = str(err.value)
    missing = preset.missing_files(tmp_path)
    assert "\n" not in message and len(message) < 500, message
    assert str(tmp_path) in message
    assert f"{len(missing)} of {len(missing)} files missing" in message
    assert "Stable Diffusion 1.5 U-Net" in message and "MediaPipe-face ControlNet" in message
    assert not any(name in message for name in missing)  # the files: studio models check
    assert "studio models check" in message


def test_incomplete_folder_names_only_what_is_missing(tmp_path):
    preset = load_preset("sd15-mediapipe-face")
    for comp in preset.components.values():
        for alternatives in comp.files:
            path = tmp_path / alternatives[-1]  # the .bin alternative where there is one
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{}")
    (tmp_path / "stable-diffusion-v1-5/vae/config.json").unlink()
    assert preset.missing_files(tmp_path) == ["stable-diffusion-v1-5/vae/config.json (Stable Diffusion 1.5 VAE)"]
    with pytest.raises(InputError, match="incomplete.*vae/config.json"):
        preset.check_folder(tmp_path)


def test_missing_models_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist.*--models"):
        load_preset("sd15-mediapipe-face").check_folder(tmp_path / "nowhere")


def test_models_folder_from_settings_then_environment(tmp_path, monkeypatch):
    sd15 = load_preset("sd15-mediapipe-face")
    monkeypatch.delenv(MODELS_ENV, raising=False)
    with pytest.raises(InputError, match="--models DIR or set STUDIO_MODELS"):
        resolve_models_dir(sd15, None)
    monkeypatch.setenv(MODELS_ENV, str(tmp_path / "env"))
    assert resolve_models_dir(sd15, None) == tmp_path / "env"
    assert resolve_models_dir(sd15, str(tmp_path / "flag")) == tmp_path / "flag"
    # The built-in preset lives in a subfolder named after it, wherever the folder is.
    assert resolve_models_dir(load_preset("tiny"), str(tmp_path)) == tmp_path / "tiny"


@pytest.mark.parametrize(
    "requested, cuda, mps, device, half",
    [
        ("auto", True, True, "cuda", True),
        ("auto", False, True, "mps", True),
        ("auto", False, False, "cpu", False),
        ("cpu", True, True, "cpu", False),
        ("cuda:1", True, False, "cuda:1", True),
        ("MPS", False, True, "mps", True),
    ],
)
def test_device_choice(requested, cuda, mps, device, half):
    choice = choose_device(requested, cuda=cuda, mps=mps)
    assert (choice.device, choice.half) == (device, half)


@pytest.mark.parametrize("requested", ["cuda", "mps", "tpu"])
def test_unavailable_or_unknown_device_is_refused(requested):
    with pytest.raises(InputError, match=requested):
        choose_device(requested, cuda=False, mps=False)


def test_resolve_device_asks_torch():
    import torch

    mps = torch.backends.mps.is_available()
    expected = "cuda" if torch.cuda.is_available() else "mps" if mps else "cpu"
    assert resolve_device("auto").device == expected
    assert resolve_device("cpu").half is False


@pytest.mark.parametrize("name", ["../samples/sample-project", "/etc/passwd", "tiny/../tiny",
                                  "TINY", ""])
def test_only_bundled_preset_names_are_loaded(name):
    from studio.render.diffusion.manifests import load_preset

    with pytest.raises(InputError, match="unknown diffusion model preset"):
        load_preset(name)


def test_the_default_models_folder_serves_a_preset_it_holds_whole(tmp_path, monkeypatch):
    import studio.render.diffusion.manifests as presets

    sd15 = load_preset("sd15-mediapipe-face")
    monkeypatch.delenv(MODELS_ENV, raising=False)
    monkeypatch.setattr(presets, "default_weights_dir", lambda: tmp_path)
    with pytest.raises(InputError, match=f"put its weights in {tmp_path} or pass --models DIR"):
        resolve_models_dir(sd15, None)  # incomplete: not guessed, but named as the place
    for component in sd15.components.values():
        for alternatives in component.files:
            (tmp_path / alternatives[0]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / alternatives[0]).write_bytes(b"")
    assert resolve_models_dir(sd15, None) == tmp_path
    assert resolve_models_dir(sd15, str(tmp_path / "flag")) == tmp_path / "flag"  # a choice wins
