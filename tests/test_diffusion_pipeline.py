"""The ControlNet img2img pipeline on the tiny preset, loaded through the real loader.

The reference for `cache=False` is diffusers' own StableDiffusionControlNetImg2ImgPipeline built
from the same components: equality is exact, not approximate.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from studio.doc.errors import Cancelled, InputError
from studio.render.diffusion.control_image import draw_control_image
from studio.render.diffusion.device import choose_device
from studio.render.diffusion.loader import load_components
from studio.render.diffusion.manifests import load_preset

SIZE = 128
STEPS, STRENGTH, SEED = 8, 0.5, 11
RUN_STEPS = int(STEPS * STRENGTH)


@pytest.fixture(scope="module")
def tiny_dir(tiny_models):
    return tiny_models / "tiny"


@pytest.fixture(scope="module")
def components(tiny_dir):
    return load_components(load_preset("tiny"), tiny_dir, choose_device("cpu", cuda=False, mps=False))


@pytest.fixture(scope="module")
def pipeline(components):
    from studio.render.diffusion.pipeline import FaceControlPipeline

    return FaceControlPipeline(components)


@pytest.fixture(scope="module")
def inputs(portrait_path):
    """Two real frames (the portrait and its mirror) and control images from a real face oval."""
    import mediapipe as mp

    image = np.asarray(Image.open(portrait_path).convert("RGB"))
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        found = mesh.process(image).multi_face_landmarks[0].landmark
    landmarks = np.array([(p.x * SIZE, p.y * SIZE) for p in found], np.float32)
    small = np.asarray(Image.fromarray(image).resize((SIZE, SIZE), Image.BICUBIC))
    mirrored = landmarks.copy()
    mirrored[:, 0] = SIZE - mirrored[:, 0]
    images = np.stack([small, small[:, ::-1]])
    controls = np.stack([draw_control_image(landmarks, SIZE, SIZE), draw_control_image(mirrored, SIZE, SIZE)])
    return images, controls, landmarks


def psnr(a, b):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(1.0 / mse) if mse else float("inf")


def test_real_loader_reads_the_saved_folder(components):
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel

    assert isinstance(components.unet, UNet2DConditionModel)
    assert isinstance(components.controlnet, ControlNetModel)
    assert isinstance(components.vae, AutoencoderKL)
    assert isinstance(components.scheduler, DDIMScheduler)
    assert components.vae_scale_factor == 8
    assert tuple(components.prompt_embeds.shape) == (1, 16, 32)
    assert np.asarray(components.latent_rgb["factors"]).shape == (4, 3)


def test_missing_weights_file_is_named(tiny_dir, tmp_path):
    broken = shutil.copytree(tiny_dir, tmp_path / "tiny")
    (broken / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(InputError, match=r"missing vae/diffusion_pytorch_model.safetensors \(image autoencoder \(VAE\)\)"):
        load_components(load_preset("tiny"), broken, choose_device("cpu", cuda=False, mps=False))


def test_corrupt_config_is_an_input_error(tiny_dir, tmp_path):
    broken = shutil.copytree(tiny_dir, tmp_path / "tiny")
    (broken / "unet" / "config.json").write_text("{ not json")
    with pytest.raises(InputError, match="could not load preset 'tiny'"):
        load_components(load_preset("tiny"), broken, choose_device("cpu", cuda=False, mps=False))


def stock_pipeline_output(components, images, controls):
    import torch
    from diffusers import DDIMScheduler, StableDiffusionControlNetImg2ImgPipeline

    stock = StableDiffusionControlNetImg2ImgPipeline(
        vae=components.vae,
        text_encoder=components.text_encoder,
        tokenizer=components.tokenizer,
        unet=components.unet,
        controlnet=components.controlnet,
        scheduler=DDIMScheduler.from_config(components.scheduler.config),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    stock.set_progress_bar_config(disable=True)
    return stock(
        prompt_embeds=components.prompt_embeds.repeat(len(images), 1, 1),
        image=[Image.fromarray(i) for i in images],
        control_image=[Image.fromarray(c) for c in controls],
        strength=STRENGTH,
        num_inference_steps=STEPS,
        guidance_scale=1.0,
        controlnet_conditioning_scale=1.0,
        generator=[torch.Generator().manual_seed(SEED) for _ in images],
        output_type="np",
    ).images


def test_step_cache_then_plain_call_equals_diffusers_exactly(components, pipeline, inputs):
    images, controls, _ = inputs
    # Run the cached path first: its hooks must be gone afterwards.
    cached = pipeline(images, controls, STRENGTH, STEPS, SEED, step_cache_interval=3).images
    plain = pipeline(images, controls, STRENGTH, STEPS, SEED).images
    stock = stock_pipeline_output(components, images, controls)
    assert plain.shape == (2, SIZE, SIZE, 3)
    assert np.array_equal(plain, stock)
    assert not np.array_equal(cached, plain)
    assert psnr(cached, plain) >= 30.0


def test_step_cache_skips_deep_blocks_between_key_steps(components, pipeline, inputs):
    images, controls, _ = inputs
    calls = {"unet": 0, "controlnet": 0, "cond": 0}
    handles = [
        components.unet.mid_block.resnets[0].register_forward_hook(lambda *a: calls.__setitem__("unet", calls["unet"] + 1)),
        components.controlnet.mid_block.resnets[0].register_forward_hook(
            lambda *a: calls.__setitem__("controlnet", calls["controlnet"] + 1)),
        components.controlnet.controlnet_cond_embedding.conv_in.register_forward_hook(
            lambda *a: calls.__setitem__("cond", calls["cond"] + 1)),
    ]
    try:
        pipeline(images[:1], controls[:1], STRENGTH, STEPS, SEED, step_cache_interval=3)
        assert calls == {"unet": 2, "controlnet": 2, "cond": 1}  # key steps 0 and 3 of 4
        calls.update(unet=0, controlnet=0, cond=0)
        pipeline(images[:1], controls[:1], STRENGTH, STEPS, SEED)
        assert calls == {"unet": RUN_STEPS, "controlnet": RUN_STEPS, "cond": RUN_STEPS}
    finally:
        for h in handles:
            h.remove()


def test_seed_fixes_the_noise(pipeline, inputs):
    images, controls, _ = inputs
    a = pipeline(images[:1], controls[:1], STRENGTH, STEPS, SEED).images
    b = pipeline(images[:1], controls[:1], STRENGTH, STEPS, SEED).images
    c = pipeline(images[:1], controls[:1], STRENGTH, STEPS, SEED + 1).images
    assert np.array_equal(a, b)
    assert psnr(a, c) < 25.0


def test_control_image_reaches_the_picture(pipeline, inputs):
    images, controls, _ = inputs
    same_image = np.stack([images[0], images[0]])
    out = pipeline(same_image, controls, STRENGTH, STEPS, SEED).images
    assert np.abs(out[0] - out[1]).max() > 0.01


def test_preview_callback_once_per_step_and_cancel_at_next_step(pipeline, inputs):
    images, controls, _ = inputs
    seen = []
    pipeline(images, controls, STRENGTH, STEPS, SEED, callback_on_step_end=lambda i, n, x0: seen.append((i, n, tuple(x0.shape))))
    assert seen == [(i, RUN_STEPS, (2, 4, SIZE // 8, SIZE // 8)) for i in range(RUN_STEPS)]

    for interval in (None, 3):
        seen.clear()
        with pytest.raises(Cancelled):
            pipeline(images, controls, STRENGTH, STEPS, SEED, step_cache_interval=interval,
                     callback_on_step_end=lambda i, n, x0: seen.append(i), cancel=lambda: len(seen) >= 1)
        assert seen == [0]
    # a cancelled cached call leaves no hook behind
    plain = pipeline(images, controls, STRENGTH, STEPS, SEED).images
    assert np.array_equal(plain, stock_pipeline_output(pipeline.components, images, controls))


def test_bad_inputs_are_refused_up_front(pipeline, inputs):
    images, controls, _ = inputs
    with pytest.raises(ValueError, match="multiples of 32"):
        pipeline(images[:, :100, :100], controls[:, :100, :100], STRENGTH, STEPS, SEED)
    with pytest.raises(ValueError, match="strength"):
        pipeline(images, controls, 0.0, STEPS, SEED)
    with pytest.raises(ValueError, match="leave no step"):
        pipeline(images, controls, 0.1, 4, SEED)


def test_control_image_draws_mediapipe_face_colours(inputs):
    _, _, landmarks = inputs
    landmarks = landmarks * 4  # at 512 x 512, where eyes are wide enough to show every feature
    control = draw_control_image(landmarks, 4 * SIZE, 4 * SIZE)
    assert (control.sum(axis=2) == 0).mean() > 0.85  # contours on black
    colours = {tuple(c) for c in control.reshape(-1, 3)}
    features = [(10, 200, 10), (180, 200, 10), (180, 220, 10), (10, 200, 180), (10, 220, 180), (10, 180, 10),
                (250, 200, 10), (10, 200, 250)]
    assert colours == {(0, 0, 0), *features}  # the drawing spec's colours, exactly, and nothing else
    x, y = np.round(landmarks[468]).astype(int)  # the right pupil (subject's right)
    assert tuple(control[y - 1, x - 1]) == (10, 200, 250)
    with pytest.raises(ValueError, match="478"):
        draw_control_image(landmarks[:468], SIZE, SIZE)
