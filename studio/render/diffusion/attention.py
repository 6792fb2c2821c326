"""Attention with reuse and extra context: one processor for the U-Net's and ControlNet's attention.

Installed for one pipeline call by `AttentionControl` (a context manager, like the step cache),
and only when the call uses one of its features, so the cache-off path keeps diffusers' stock
processors. Three features, each optional:

- **Prompt keys and values, computed once.** The renderer's prompt is a constant, so each
  cross-attention layer's keys and values of it are the same for every step, frame and batch.
  They are computed once per layer from the single prompt row and broadcast over the batch
  (`PromptKV`, kept by the pipeline across calls). At SD1.5 size on a small crop these
  projections (77 tokens x 768 -> up to 1280 channels, per layer) cost as much as the layer's
  own tokens.
- **Banks: self-attention that also attends to another pass.** A pass can *write* its
  self-attention keys and values, per layer and denoising step, into an `AttentionBank`; a later
  pass can *read* one or more banks: each self-attention layer then attends to its own tokens
  and to the bank's tokens of the same layer and step (the "reference-only" technique, and the
  cross-frame attention of zero-shot video methods). The bank's tokens need not match the
  reader's in number, so a foreground crop can attend to a full-frame bank.

The arithmetic is AttnProcessor2_0's (diffusers), written out for the plain attention layers of
Stable Diffusion's transformer blocks; any layer with features it does not handle (group or
spatial norms, masks, residual connections) is passed to the stock processor unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import AttnProcessor2_0


@dataclass
class AttentionBank:
    """Self-attention keys and values of one pass: (layer name, step) -> (1 x N x C, 1 x N x C)."""

    kv: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.kv)


class PromptKV:
    """Cross-attention keys and values of the constant prompt, per layer, for one prompt tensor."""

    def __init__(self) -> None:
        self.prompt: torch.Tensor | None = None
        self.kv: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def get(self, name: str, attn, prompt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.prompt is not prompt:
            self.prompt, self.kv = prompt, {}
        if name not in self.kv:
            row = prompt[:1]
            self.kv[name] = (attn.to_k(row), attn.to_v(row))
        return self.kv[name]


class StudioAttnProcessor:
    def __init__(self, control: "AttentionControl", name: str, banks: bool) -> None:
        self.control = control
        self.name = name
        self.banks = banks  # this model's self-attention reads and writes banks
        self.stock = AttnProcessor2_0()

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None,
                 *args, **kwargs):
        if (attention_mask is not None or hidden_states.ndim != 3 or attn.spatial_norm is not None
                or attn.group_norm is not None or attn.norm_cross or attn.norm_q is not None
                or attn.norm_k is not None or attn.residual_connection or args or kwargs):
            return self.stock(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        control = self.control
        batch = hidden_states.shape[0]
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            key, value = attn.to_k(hidden_states), attn.to_v(hidden_states)
            if self.banks:
                key, value = control.self_context(self.name, key, value, batch)
        elif control.prompt_kv is not None and control.is_prompt(encoder_hidden_states):
            key, value = control.prompt_kv.get(self.name, attn, control.prompt)
            key, value = key.expand(batch, -1, -1), value.expand(batch, -1, -1)
        else:
            key, value = attn.to_k(encoder_hidden_states), attn.to_v(encoder_hidden_states)
        head_dim = key.shape[-1] // attn.heads
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.reshape(batch, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.reshape(batch, -1, attn.heads, head_dim).transpose(1, 2)
        out = F.scaled_dot_product_attention(query, key, value, dropout_p=0.0, is_causal=False)
        out = out.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim).to(query.dtype)
        out = attn.to_out[1](attn.to_out[0](out))
        return out / attn.rescale_output_factor


class AttentionControl:
    """For one pipeline call: the prompt's K/V reuse and the banks this pass reads and writes.

    `begin_step(i)` is called at the start of each denoising step, so banks are kept per step.
    """

    def __init__(
        self,
        unet,
        controlnet=None,
        *,
        prompt: torch.Tensor | None = None,
        prompt_kv: PromptKV | None = None,
        read: tuple[AttentionBank, ...] = (),
        write: AttentionBank | None = None,
    ) -> None:
        self.models = [(unet, True)] + ([(controlnet, False)] if controlnet is not None else [])
        self.prompt = prompt
        self.prompt_kv = prompt_kv if prompt is not None else None
        self.read = tuple(read)
        self.write = write
        self.step = 0
        self._saved: list = []

    @property
    def active(self) -> bool:
        return self.prompt_kv is not None or bool(self.read) or self.write is not None

    def begin_step(self, i: int) -> None:
        self.step = i

    def is_prompt(self, states: torch.Tensor) -> bool:
        """The prompt broadcast over the batch (a view of the same storage), as the pipeline passes it."""
        return states.data_ptr() == self.prompt.data_ptr() and states.shape[1:] == self.prompt.shape[1:]

    def self_context(self, name: str, key, value, batch: int):
        if self.write is not None:
            self.write.kv[(name, self.step)] = (key[:1], value[:1])
        keys, values = [key], [value]
        for bank in self.read:
            stored = bank.kv.get((name, self.step))
            if stored is not None:
                keys.append(stored[0].expand(batch, -1, -1).to(key.dtype))
                values.append(stored[1].expand(batch, -1, -1).to(value.dtype))
        if len(keys) == 1:
            return key, value
        return torch.cat(keys, dim=1), torch.cat(values, dim=1)

    def __enter__(self) -> "AttentionControl":
        for model, banks in self.models:
            saved = model.attn_processors
            self._saved.append((model, saved))
            model.set_attn_processor({name: StudioAttnProcessor(self, name, banks) for name in saved})
        return self

    def __exit__(self, *exc) -> None:
        for model, saved in self._saved:
            model.set_attn_processor(saved)
        self._saved.clear()
