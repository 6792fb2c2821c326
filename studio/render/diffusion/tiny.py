"""The `tiny` preset: random, seeded weights in the stock diffusers/transformers classes.

It exists so that tests and CPU demos exercise the same loader, pipeline, caches and preview as a
real SD1.5 checkpoint, in seconds and without downloading anything. The shapes copy SD1.5's
structure at a small width: a VAE with an 8x downsampling factor and 4 latent channels, a
three-level U-Net whose shallowest level has no attention (so the step cache's shallow path is
cheap, as in SD1.5), a ControlNet made from that U-Net, and a two-layer CLIP text model with a
byte-level tokenizer. The ControlNet's zero convolutions get random weights, otherwise a freshly built
ControlNet would have no effect and no test could see the control image.
"""

from __future__ import annotations

import json
from pathlib import Path

# The GPT-2/CLIP byte-to-unicode table: printable characters stand for all 256 bytes.
_PRINTABLE = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
    range(ord("®"), ord("ÿ") + 1)
)
TEXT_LENGTH = 16
LATENT_FIT_IMAGES = 6


def byte_vocab() -> dict[str, int]:
    """A CLIP-style vocabulary of single bytes (with and without the end-of-word mark)."""
    codes = _PRINTABLE[:]
    extra = 0
    for b in range(256):
        if b not in _PRINTABLE:
            codes.append(256 + extra)
            extra += 1
    chars = [chr(c) for c in codes]
    vocab = {ch: i for i, ch in enumerate(chars)}
    vocab.update({ch + "</w>": len(chars) + i for i, ch in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def build_tiny_components(seed: int = 0) -> dict:
    """Fresh tiny components (float32, CPU), identical for the same seed."""
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=32,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 16, 32, 32))
    with torch.no_grad():
        # He-initialised embedding convs keep the control image's contrast through the stack;
        # the default init shrinks it ~50x, which would make the control invisible in tests.
        for module in controlnet.controlnet_cond_embedding.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        for conv in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
            conv.weight.normal_(0.0, 0.3)
            conv.bias.zero_()
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 32, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=256,
    )
    vocab = byte_vocab()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=TEXT_LENGTH,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        )
    )
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=TEXT_LENGTH)
    scheduler = DDIMScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    for model in (unet, controlnet, vae, text_encoder):
        model.eval()
    return {
        "unet": unet,
        "controlnet": controlnet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "scheduler": scheduler,
    }


def fit_latent_rgb(vae, seed: int = 0) -> dict:
    """Least-squares linear map latent (4 + bias) -> RGB in 0..1, fitted to this VAE's decoder.

    The targets are the VAE's own decodes (box-averaged to latent resolution) of smooth random
    colour fields, so the preview approximates what the final decode will show.
    """
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed)
    size = 128
    fields = torch.rand(LATENT_FIT_IMAGES, 3, 8, 8, generator=gen)
    images = F.interpolate(fields, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)
    with torch.no_grad():
        latents = vae.encode(images * 2 - 1).latent_dist.mean
        decoded = (vae.decode(latents).sample / 2 + 0.5).clamp(0, 1)
    factor = size // latents.shape[-1]
    target = F.avg_pool2d(decoded, factor).permute(0, 2, 3, 1).reshape(-1, 3)
    lat = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1]) * vae.config.scaling_factor
    design = torch.cat([lat, torch.ones(lat.shape[0], 1)], dim=1)
    solution = torch.linalg.lstsq(design, target).solution
    return {"factors": solution[:-1].tolist(), "bias": solution[-1].tolist()}


def save_tiny_preset(folder: str | Path, seed: int = 0) -> Path:
    """Write the tiny preset in diffusers folder layout, loadable by the real loader."""
    folder = Path(folder)
    parts = build_tiny_components(seed)
    for name in ("unet", "controlnet", "vae", "text_encoder", "tokenizer", "scheduler"):
        parts[name].save_pretrained(folder / name)
    latent_rgb = fit_latent_rgb(parts["vae"], seed)
    (folder / "latent_rgb.json").write_text(json.dumps(latent_rgb, indent=1), encoding="utf-8")
    return folder
