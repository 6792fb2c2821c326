"""Which torch device and precision the diffusion renderer runs on.

The choice is a pure function of what is available so that it can be tested on a machine that
has neither CUDA nor MPS; `resolve_device` asks torch what this machine has.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.doc.errors import InputError

DEVICES: tuple[str, ...] = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceChoice:
    device: str   # a torch device string: "cuda", "mps" or "cpu"
    half: bool    # float16 weights and activations (GPUs); float32 on the CPU


def choose_device(requested: str, cuda: bool, mps: bool) -> DeviceChoice:
    """CUDA, then MPS, then CPU for 'auto'; an explicit request must be available."""
    requested = (requested or "auto").lower()
    if requested not in DEVICES and not requested.startswith("cuda:"):
        raise InputError(f"unknown device '{requested}': use one of {', '.join(DEVICES)}")
    if requested == "auto":
        requested = "cuda" if cuda else "mps" if mps else "cpu"
    if requested.startswith("cuda") and not cuda:
        raise InputError("device 'cuda' was requested but this machine has no usable CUDA GPU: use --device cpu or auto")
    if requested == "mps" and not mps:
        raise InputError("device 'mps' was requested but this machine has no Apple GPU: use --device cpu or auto")
    return DeviceChoice(device=requested, half=requested != "cpu")


def resolve_device(requested: str = "auto") -> DeviceChoice:
    import torch

    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return choose_device(requested, cuda=torch.cuda.is_available(), mps=mps)
