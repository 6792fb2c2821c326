"""Fuse a LoRA (the LCM LoRA for few-step previews) into a U-Net's weights, without peft.

diffusers loads LoRAs through peft, which this project does not depend on. Fusing is a few
lines: each adapted layer's weight W becomes W + (alpha / rank) * up @ down, after which the U-Net
is a plain U-Net again (no per-step cost, and the step cache's hooks see ordinary blocks).
Two key layouts are read, both naming layers by their diffusers module path:
- kohya style: `lora_unet_<path with _>.lora_down.weight`, `.lora_up.weight`, `.alpha`
  (the layout the published LCM LoRA for SD1.5 uses);
- peft style: `unet.<path>.lora_A.weight`, `.lora_B.weight` (alpha = rank).
"""

from __future__ import annotations

import torch


def _pairs(state: dict[str, torch.Tensor], modules: dict[str, torch.nn.Module]):
    """(module, down, up, alpha or None) per adapted layer; raises ValueError on unknown keys."""
    by_underscore = {name.replace(".", "_"): module for name, module in modules.items()}
    found, used = [], set()
    for key in state:
        if key.startswith("lora_unet_") and key.endswith(".lora_down.weight"):
            base = key[len("lora_unet_"):-len(".lora_down.weight")]
            up_key, alpha_key = f"lora_unet_{base}.lora_up.weight", f"lora_unet_{base}.alpha"
            module = by_underscore.get(base)
        elif key.startswith("unet.") and key.endswith(".lora_A.weight"):
            base = key[len("unet."):-len(".lora_A.weight")]
            up_key, alpha_key = f"unet.{base}.lora_B.weight", None
            module = modules.get(base)
        else:
            continue
        if module is None or up_key not in state:
            raise ValueError(f"LoRA layer '{base}' does not match this U-Net")
        alpha = state.get(alpha_key) if alpha_key else None
        found.append((module, state[key], state[up_key], alpha))
        used.update({key, up_key, alpha_key})
    unknown = set(state) - used
    if unknown:
        raise ValueError(f"{len(unknown)} LoRA tensors in an unsupported layout, e.g. '{sorted(unknown)[0]}'")
    if not found:
        raise ValueError("no U-Net LoRA layers found")
    return found


@torch.no_grad()
def fuse_lora(unet: torch.nn.Module, state: dict[str, torch.Tensor], scale: float = 1.0) -> int:
    """Add the LoRA's low-rank updates to the U-Net's weights in place; returns the layers fused."""
    pairs = _pairs(state, dict(unet.named_modules()))
    for module, down, up, alpha in pairs:
        weight = module.weight
        rank = down.shape[0]
        factor = scale * (float(alpha) / rank if alpha is not None else 1.0)
        delta = up.reshape(up.shape[0], rank).float() @ down.reshape(rank, -1).float()
        weight += (factor * delta).reshape(weight.shape).to(device=weight.device, dtype=weight.dtype)
    return len(pairs)
