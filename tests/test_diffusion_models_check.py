"""`studio models check DIR [--preset NAME]` on folders built here: the SD1.5 preset's layout
holding the tiny preset's configs and random weights (saved with save_pretrained), complete and
with a component taken away."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from studio.cli import main

PRESET = "sd15-mediapipe-face"


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    """Every file the sd15-mediapipe-face manifest names, in its folders, made from tiny weights."""
    from studio.render.diffusion.tiny import build_tiny_components

    root = tmp_path_factory.mktemp("sd15-layout")
    parts = build_tiny_components(seed=1)
    folders = {"unet": "stable-diffusion-v1-5/unet", "vae": "stable-diffusion-v1-5/vae",
               "text_encoder": "stable-diffusion-v1-5/text_encoder",
               "tokenizer": "stable-diffusion-v1-5/tokenizer", "scheduler": "stable-diffusion-v1-5/scheduler",
               "controlnet": "ControlNetMediaPipeFace/diffusion_sd15"}
    for name, folder in folders.items():
        parts[name].save_pretrained(root / folder)
    # SD1.5's repository ships the slow tokenizer's files: the vocabulary and the BPE merges
    tokenizer = root / folders["tokenizer"]
    (tokenizer / "vocab.json").write_text(json.dumps(parts["tokenizer"].get_vocab()), encoding="utf-8")
    (tokenizer / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return root


def run(capsys, *argv):
    status = main(["models", "check", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_complete_folder_lists_every_component_with_size_and_sha256(complete, capsys):
    status, out, err = run(capsys, complete, "--preset", PRESET)
    assert status == 0 and err == ""
    assert out.splitlines()[0] == f"preset {PRESET} in {complete}: complete (6 of 6 components found)"
    weights = complete / "ControlNetMediaPipeFace/diffusion_sd15/diffusion_pytorch_model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    line = next(line for line in out.splitlines() if "diffusion_sd15/diffusion_pytorch_model" in line)
    assert line.split()[1] == "ControlNetMediaPipeFace/diffusion_sd15/diffusion_pytorch_model.safetensors"
    assert line.endswith(f"  {weights.stat().st_size / 2**20:.1f} MiB  sha256 {digest}")
    for component in ("unet", "vae", "text_encoder", "tokenizer", "scheduler", "controlnet"):
        assert f"  found   {component}: " in out
    assert "MISSING" not in out and "get it" not in out


def test_an_incomplete_folder_says_what_is_missing_and_where_to_get_it(complete, tmp_path, capsys):
    folder = tmp_path / "models"
    shutil.copytree(complete, folder)
    (folder / "ControlNetMediaPipeFace/diffusion_sd15/diffusion_pytorch_model.safetensors").unlink()
    shutil.rmtree(folder / "stable-diffusion-v1-5/tokenizer")
    status, out, _ = run(capsys, folder, "--preset", PRESET, "--no-hash")
    assert status == 1
    assert out.splitlines()[0] == f"preset {PRESET} in {folder}: incomplete (4 of 6 components found)"
    assert "  MISSING controlnet: MediaPipe-face ControlNet for SD1.5 (licence: OpenRAIL)" in out
    assert ("      missing ControlNetMediaPipeFace/diffusion_sd15/diffusion_pytorch_model.safetensors or "
            "ControlNetMediaPipeFace/diffusion_sd15/diffusion_pytorch_model.bin") in out
    assert "      found   ControlNetMediaPipeFace/diffusion_sd15/config.json" in out
    assert "get it: https://huggingface.co/CrucibleAI/ControlNetMediaPipeFace (subfolder diffusion_sd15)" in out
    assert "  MISSING tokenizer: CLIP tokenizer (licence: MIT (OpenAI CLIP))" in out
    assert "sha256" not in out


def test_without_a_preset_every_downloadable_preset_is_checked(complete, capsys):
    status, out, _ = run(capsys, complete, "--no-hash")
    assert status == 0  # sd15-mediapipe-face is complete; the LCM preset lacks its LoRA
    assert f"preset {PRESET}-lcm in {complete}: incomplete (6 of 7 components found)" in out
    assert "get it: https://huggingface.co/latent-consistency/lcm-lora-sdv1-5" in out
    assert out.splitlines()[-1] == f"complete: {PRESET}"
    assert "preset tiny" not in out


def test_the_built_in_preset_is_checked_in_its_subfolder(tiny_models, capsys):
    status, out, _ = run(capsys, tiny_models, "--preset", "tiny", "--no-hash")
    assert status == 0 and f"preset tiny in {tiny_models / 'tiny'}: complete" in out


@pytest.mark.parametrize("argv, message", [
    (["/no/such/folder"], "studio: error: models check: /no/such/folder is not a folder"),
    ([".", "--preset", "../tiny"], "studio: error: unknown diffusion model preset '../tiny'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith(message) and len(err.strip().splitlines()) == 1
