"""Reference and cross-frame attention (attention.py, banks.py) on the tiny preset and the real portrait."""

from __future__ import annotations

import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.render.diffusion.settings import DiffusionSettings

SIZE = 128
STEPS, STRENGTH, SEED = 8, 0.5, 3


def make_renderer(models_dir, rig, cache=False, frame_cache=None, **features):
    from studio.render.diffusion import create_diffusion_renderer
    from studio.render.diffusion.diffused_frames import DiffusedFrameCache

    settings = DiffusionSettings(model="tiny", steps=STEPS, strength=STRENGTH, cache=cache,
                                 models_dir=str(models_dir), **features)
    renderer = create_diffusion_renderer(settings, seed=SEED)
    renderer.frame_cache = frame_cache if frame_cache is not None else DiffusedFrameCache()
    renderer.prepare(rig, SIZE, SIZE)
    return renderer


def talking(i: int) -> ControlFrame:
    return ControlFrame(index=i, t=i / 25, yaw=5 * np.sin(i / 2 + 1), pitch=2 * np.cos(i / 3),
                        expression={"jawOpen": 0.4 * abs(np.sin(i / 1.5 + 0.5))})


FRAMES = [talking(i) for i in range(3)]
BOTH = {"reference_attention": True, "cross_frame": True}


def psnr(a, b):
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse) if mse else float("inf")


@pytest.fixture(scope="module")
def renders(tiny_models, sample_rig):
    """The same frames with each feature alone, both, and neither; caches off and on."""
    out = {}
    for name, features in (("none", {}), ("reference", {"reference_attention": True}),
                           ("cross", {"cross_frame": True}), ("both", BOTH)):
        for cache in (False, True):
            out[name, cache] = np.stack(make_renderer(tiny_models, sample_rig, cache, **features).render_batch(FRAMES))
    return out


def test_each_feature_keeps_the_shape_and_changes_the_frames(renders):
    for key, frames in renders.items():
        assert frames.shape == (len(FRAMES), SIZE, SIZE, 3) and frames.dtype == np.uint8, key
    for cache in (False, True):
        plain = renders["none", cache]
        # With caches on, a frame runs only the U-Net's shallow level, which in the tiny preset
        # has no attention (SD1.5's has): the anchor's bank, read there, cannot act. The
        # portrait's bank acts through the reference pass's deep features, which frames borrow.
        for name in ("reference", "both") if cache else ("reference", "cross", "both"):
            # near the anchor and the portrait, with random weights, the effect is a level or a
            # few (the bank holds keys and values much like the frame's own); it is there
            assert not np.array_equal(renders[name, cache], plain), f"{name} (cache {cache})"
        assert not np.array_equal(renders["reference", cache], renders["cross", cache])


def _attention(seed=0):
    import torch
    from diffusers.models.attention_processor import Attention

    torch.manual_seed(seed)
    return Attention(query_dim=32, heads=4, dim_head=8).eval()


def _stock(attn, states, context=None):
    from diffusers.models.attention_processor import AttnProcessor2_0

    return AttnProcessor2_0()(attn, states, context)


def test_a_bank_is_attended_to_as_more_tokens_of_the_same_layer_and_step():
    import torch
    import torch.nn.functional as F

    from studio.render.diffusion.attention import AttentionBank, AttentionControl, StudioAttnProcessor

    attn = _attention()
    frames, extra = torch.randn(2, 10, 32), torch.randn(1, 6, 32)
    with torch.no_grad():
        bank = AttentionBank({("layer", 1): (attn.to_k(extra), attn.to_v(extra))})
        control = AttentionControl(None, read=(bank,))
        processor = StudioAttnProcessor(control, "layer", banks=True)
        control.begin_step(0)  # no entry for step 0: plain self-attention, as the stock processor
        assert torch.allclose(processor(attn, frames), _stock(attn, frames), atol=1e-6)
        control.begin_step(1)
        got = processor(attn, frames)
        q = attn.to_q(frames).view(2, 10, 4, 8).transpose(1, 2)
        k = torch.cat([attn.to_k(frames), attn.to_k(extra).expand(2, -1, -1)], 1).view(2, 16, 4, 8).transpose(1, 2)
        v = torch.cat([attn.to_v(frames), attn.to_v(extra).expand(2, -1, -1)], 1).view(2, 16, 4, 8).transpose(1, 2)
        expected = attn.to_out[0](F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 10, 32))
        assert torch.allclose(got, expected, atol=1e-6)
        assert not torch.allclose(got, _stock(attn, frames), atol=1e-3)
        # a bank holding the frame's own keys and values changes nothing (softmax over [K; K])
        one = frames[:1]
        bank.kv[("layer", 1)] = (attn.to_k(one), attn.to_v(one))
        assert torch.allclose(processor(attn, one), _stock(attn, one), atol=1e-5)


def test_writing_a_bank_and_reusing_the_prompt():
    import torch

    from studio.render.diffusion.attention import AttentionBank, AttentionControl, PromptKV, StudioAttnProcessor

    attn = _attention(1)
    prompt = torch.randn(1, 7, 32)
    frames = torch.randn(3, 10, 32)
    written = AttentionBank()
    kv = PromptKV()
    control = AttentionControl(None, prompt=prompt, prompt_kv=kv, write=written)
    processor = StudioAttnProcessor(control, "layer", banks=True)
    with torch.no_grad():
        control.begin_step(2)
        processor(attn, frames[:1])
        assert list(written.kv) == [("layer", 2)]
        assert torch.equal(written.kv["layer", 2][0], attn.to_k(frames[:1]))
        # cross-attention to the prompt broadcast over the batch: its keys and values once
        got = processor(attn, frames, prompt.expand(3, -1, -1))
        assert torch.allclose(got, _stock(attn, frames, prompt.repeat(3, 1, 1)), atol=1e-6)
        assert list(kv.kv) == ["layer"]
        # any other context is projected as it comes
        other = torch.randn(3, 7, 32)
        assert torch.allclose(processor(attn, frames, other), _stock(attn, frames, other), atol=1e-6)


def test_features_are_deterministic(renders, tiny_models, sample_rig):
    for cache in (False, True):
        again = np.stack(make_renderer(tiny_models, sample_rig, cache, **BOTH).render_batch(FRAMES))
        assert np.array_equal(again, renders["both", cache])


def test_a_frame_does_not_depend_on_its_batch(renders, tiny_models, sample_rig):
    """The banks are the shot's, not the batch's: a frame rendered alone matches it in a batch."""
    alone = make_renderer(tiny_models, sample_rig, False, **BOTH).render_batch(FRAMES[1:2])[0]
    assert psnr(alone, renders["both", False][1]) > 45


def test_caches_stay_close_to_the_plain_path_with_the_features_on(renders):
    for name in ("reference", "cross", "both"):
        assert psnr(renders[name, True], renders[name, False]) >= 30.0, name


def test_the_anchor_frame_attending_to_itself_is_unchanged(tiny_models, sample_rig):
    """Attending to a copy of one's own keys and values changes nothing (softmax over [K; K]),
    so the rest pose, the anchor, renders the same with cross-frame attention on and off."""
    rest = ControlFrame()
    off = make_renderer(tiny_models, sample_rig, False).render_batch([rest])[0]
    on = make_renderer(tiny_models, sample_rig, False, cross_frame=True).render_batch([rest])[0]
    assert np.abs(on.astype(int) - off).max() <= 1


def test_the_frame_cache_tells_the_settings_apart(tiny_models, sample_rig, renders):
    from studio.render.diffusion.diffused_frames import DiffusedFrameCache

    shared = DiffusedFrameCache()
    make_renderer(tiny_models, sample_rig, True, frame_cache=shared).render_batch(FRAMES)
    with_features = make_renderer(tiny_models, sample_rig, True, frame_cache=shared, **BOTH)
    assert np.array_equal(np.stack(with_features.render_batch(FRAMES)), renders["both", True])
    assert shared.hits == 0


def test_banks_hold_every_self_attention_layer_per_step(tiny_models, sample_rig):
    from studio.render.diffusion.banks import portrait_bank

    renderer = make_renderer(tiny_models, sample_rig, False)
    unet = renderer.components.unet
    layers = [name for name in unet.attn_processors if ".attn1." in name]
    init = renderer._mesh.render(ControlFrame())
    bank = portrait_bank(renderer.pipeline, init, STRENGTH, STEPS, SEED)
    steps = int(STEPS * STRENGTH)
    assert len(bank) == len(layers) * steps
    key, value = next(iter(bank.kv.values()))
    assert key.shape[0] == 1 and key.shape == value.shape
    # the stock processors are back: the cache-off path stays diffusers' own
    assert {type(p).__name__ for p in unet.attn_processors.values()} == {"AttnProcessor2_0"}
