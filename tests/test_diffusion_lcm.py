"""The LCM variant: a LoRA fused into the U-Net without peft, and the LCM scheduler in the same loop."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from studio.doc.errors import InputError
from studio.render.diffusion.device import choose_device
from studio.render.diffusion.loader import load_components
from studio.render.diffusion.manifests import Component, load_preset
from studio.render.diffusion.tiny import save_tiny_preset

CPU = choose_device("cpu", cuda=False, mps=False)
LORA = "lcm-lora/pytorch_lora_weights.safetensors"
# (module path, rank, alpha): a linear attention projection, a 1x1 conv and a 3x3 conv
LAYERS = (
    ("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q", 4, 2.0),
    ("down_blocks.1.attentions.0.proj_in", 2, 2.0),
    ("up_blocks.2.resnets.0.conv1", 4, 8.0),
)


def lcm_preset(extra_files=LORA):
    tiny = load_preset("tiny")
    lora = Component(name="lcm_lora", what="LCM LoRA", licence="test", files=((extra_files,),))
    return dataclasses.replace(tiny, name="tiny-lcm", scheduler="lcm", components={**tiny.components, "lcm_lora": lora})


def kohya_lora(unet) -> dict[str, torch.Tensor]:
    modules = dict(unet.named_modules())
    gen = torch.Generator().manual_seed(3)
    state = {}
    for path, rank, alpha in LAYERS:
        weight = modules[path].weight
        key = "lora_unet_" + path.replace(".", "_")
        tail = tuple(weight.shape[2:])
        state[key + ".lora_down.weight"] = torch.randn(rank, weight.shape[1], *tail, generator=gen) * 0.1
        state[key + ".lora_up.weight"] = torch.randn(weight.shape[0], rank, *(1,) * len(tail), generator=gen) * 0.1
        state[key + ".alpha"] = torch.tensor(alpha)
    return state


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = save_tiny_preset(tmp_path_factory.mktemp("models") / "tiny")
    plain = load_components(load_preset("tiny"), root, CPU)
    (root / LORA).parent.mkdir()
    save_file(kohya_lora(plain.unet), str(root / LORA))
    return root, plain


def test_lora_is_fused_as_alpha_over_rank_times_up_down(folder):
    root, plain = folder
    lcm = load_components(lcm_preset(), root, CPU)
    state = kohya_lora(plain.unet)
    fused, original = dict(lcm.unet.named_modules()), dict(plain.unet.named_modules())
    for path, rank, alpha in LAYERS:
        key = "lora_unet_" + path.replace(".", "_")
        up, down = state[key + ".lora_up.weight"], state[key + ".lora_down.weight"]
        delta = (up.reshape(up.shape[0], rank) @ down.reshape(rank, -1)).reshape(original[path].weight.shape)
        assert torch.allclose(fused[path].weight, original[path].weight + alpha / rank * delta, atol=1e-6)
    untouched = "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k"
    assert torch.equal(fused[untouched].weight, original[untouched].weight)
    assert type(lcm.scheduler).__name__ == "LCMScheduler"


def test_peft_layout_fuses_the_same(folder):
    from studio.render.diffusion.lora import fuse_lora

    root, plain = folder
    kohya = kohya_lora(plain.unet)
    peft = {}
    for path, rank, alpha in LAYERS:
        key = "lora_unet_" + path.replace(".", "_")
        # peft's scale is 1: fold alpha / rank into B
        peft[f"unet.{path}.lora_A.weight"] = kohya[key + ".lora_down.weight"]
        peft[f"unet.{path}.lora_B.weight"] = kohya[key + ".lora_up.weight"] * (alpha / rank)
    a = load_components(load_preset("tiny"), root, CPU).unet
    assert fuse_lora(a, peft) == len(LAYERS)
    b = load_components(lcm_preset(), root, CPU).unet
    for path, _, _ in LAYERS:
        assert torch.allclose(dict(a.named_modules())[path].weight, dict(b.named_modules())[path].weight, atol=1e-6)


def test_foreign_lora_layout_is_an_input_error(folder, tmp_path):
    root, _ = folder
    bad = tmp_path / "bad.safetensors"
    save_file({"lora_unet_input_blocks_7_1_proj_in.lora_down.weight": torch.zeros(2, 4),
               "lora_unet_input_blocks_7_1_proj_in.lora_up.weight": torch.zeros(4, 2)}, str(bad))
    with pytest.raises(InputError, match="cannot use the LoRA .*input_blocks_7_1_proj_in.*does not match"):
        load_components(lcm_preset(str(bad)), root, CPU)


def test_lcm_cache_off_equals_diffusers_with_the_lcm_scheduler(folder, portrait_path):
    from diffusers import LCMScheduler, StableDiffusionControlNetImg2ImgPipeline

    from studio.render.diffusion.pipeline import FaceControlPipeline

    root, _ = folder
    comps = load_components(lcm_preset(), root, CPU)
    image = np.asarray(Image.open(portrait_path).convert("RGB").resize((64, 64)))[None]
    control = np.zeros_like(image)
    control[:, 20:40, 20:44] = (10, 200, 10)
    ours = FaceControlPipeline(comps)(image, control, 0.5, 8, seed=4).images
    stock = StableDiffusionControlNetImg2ImgPipeline(
        vae=comps.vae, text_encoder=comps.text_encoder, tokenizer=comps.tokenizer, unet=comps.unet,
        controlnet=comps.controlnet, scheduler=LCMScheduler.from_config(comps.scheduler.config),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    stock.set_progress_bar_config(disable=True)
    theirs = stock(
        prompt_embeds=comps.prompt_embeds, image=[Image.fromarray(image[0])], control_image=[Image.fromarray(control[0])],
        strength=0.5, num_inference_steps=8, guidance_scale=1.0, controlnet_conditioning_scale=1.0,
        generator=[torch.Generator().manual_seed(4)], output_type="np",
    ).images
    assert np.array_equal(ours, theirs)
