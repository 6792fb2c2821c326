"""DiffusionRenderer on the real portrait with the tiny preset: caches, previews, cancel, factory."""

from __future__ import annotations

import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import Cancelled, InputError
from studio.render.diffusion.settings import DiffusionSettings

SIZE = 256
STEPS, STRENGTH, SEED = 8, 0.5, 5
RUN_STEPS = int(STEPS * STRENGTH)


@pytest.fixture(scope="module")
def models_dir(tiny_models):
    return tiny_models


@pytest.fixture(scope="module")
def rig(sample_rig):
    return sample_rig


def make_renderer(models_dir, rig, cache=True, size=(SIZE, SIZE)):
    from studio.render.diffusion import create_diffusion_renderer
    from studio.render.diffusion.diffused_frames import DiffusedFrameCache

    settings = DiffusionSettings(model="tiny", steps=STEPS, strength=STRENGTH, cache=cache, models_dir=str(models_dir))
    renderer = create_diffusion_renderer(settings, seed=SEED)
    renderer.frame_cache = DiffusedFrameCache()
    renderer.prepare(rig, *size)
    return renderer


def talking(i: int) -> ControlFrame:
    return ControlFrame(
        index=i, t=i / 25, yaw=6 * np.sin(i / 2), pitch=2 * np.cos(i / 3), roll=1.5 * np.sin(i / 4),
        expression={"jawOpen": 0.4 * abs(np.sin(i / 1.5)), "eyeBlinkLeft": 1.0 if i == 2 else 0.0},
    )


def psnr(a, b):
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse) if mse else float("inf")


@pytest.fixture(scope="module")
def clip(models_dir, rig):
    """The same four talking frames rendered with every cache on and with caches off."""
    frames = [talking(i) for i in range(4)]
    on = make_renderer(models_dir, rig, cache=True).render_batch(frames)
    off = make_renderer(models_dir, rig, cache=False).render_batch(frames)
    return frames, on, off


def test_cached_frames_are_close_to_uncached(clip, rig):
    from studio.render.mesh import MeshRenderer

    frames, on, off = clip
    for a, b in zip(on, off):
        assert a.shape == (SIZE, SIZE, 3) and a.dtype == np.uint8
        assert psnr(a, b) >= 30.0
    # the motion reaches the picture where the face moved, in both modes: between neighbouring
    # frames the output changes several times more where the mesh render changed than elsewhere
    mesh = MeshRenderer()
    mesh.prepare(rig, SIZE, SIZE)
    moved = np.abs(mesh.render(frames[0]).astype(int) - mesh.render(frames[1]).astype(int))
    moved = moved.max(axis=2) > 8
    assert 0.005 < moved.mean() < 0.5
    for frames_ in (on, off):
        change = np.abs(frames_[0].astype(int) - frames_[1].astype(int)).mean(axis=2)
        assert change[moved].mean() > 4 * change[~moved].mean()


def test_frame_cache_hits_unchanged_frames_and_misses_edited_ones(models_dir, rig):
    renderer = make_renderer(models_dir, rig)
    first = renderer.render_batch([talking(0), talking(1)])
    assert (renderer.frame_cache.hits, renderer.frame_cache.misses) == (0, 2)
    same_signals = ControlFrame(**{**talking(0).__dict__, "index": 40, "t": 1.6})
    edited = ControlFrame(**{**talking(1).__dict__, "expression": {"jawOpen": 0.9}})
    calls = []
    renderer.pipeline = _counting(renderer.pipeline, calls)
    again = renderer.render_batch([same_signals, edited])
    assert (renderer.frame_cache.hits, renderer.frame_cache.misses) == (1, 3)
    assert len(calls) == 1 and calls[0] == 1  # one denoising call, for the edited frame only
    assert np.array_equal(again[0], first[0])
    assert not np.array_equal(again[1], first[1])


def _counting(pipeline, calls):
    def call(image, *args, **kwargs):
        calls.append(len(image))
        return pipeline(image, *args, **kwargs)

    call.size_multiple = pipeline.size_multiple
    return call


def test_cache_off_renders_every_time_and_is_deterministic(models_dir, rig, clip):
    frames, _, off = clip
    renderer = make_renderer(models_dir, rig, cache=False)
    calls = []
    renderer.pipeline = _counting(renderer.pipeline, calls)
    again = renderer.render_batch([frames[1], frames[1]])
    assert calls == [2] and len(renderer.frame_cache) == 0
    assert np.array_equal(again[0], again[1])
    # the same frame in a batch of four: equal up to float rounding of batched convolutions
    assert np.abs(again[0].astype(int) - off[1].astype(int)).max() <= 1


@pytest.mark.parametrize("cache", [True, False])
def test_preview_once_per_step_then_the_final_decode(models_dir, rig, cache):
    renderer = make_renderer(models_dir, rig, cache=cache)
    events = []
    frames = [talking(5), talking(6)]
    out = renderer.render_batch(frames, preview=events.append)
    # the mesh render first, then one preview per denoising step, then the decoded frames
    assert [(e.step, e.final) for e in events] == [(i, False) for i in range(RUN_STEPS + 1)] + [(RUN_STEPS, True)]
    assert all(e.total == RUN_STEPS and e.frames == frames for e in events)
    for e in events:
        assert len(e.images) == 2
        assert all(img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8 for img in e.images)
    assert np.array_equal(events[0].images[0], renderer._mesh.render(frames[0]))
    assert all(np.array_equal(a, b) for a, b in zip(events[-1].images, out))
    # each step's prediction is new: the preview moves as the latents are denoised
    assert not np.array_equal(events[1].images[0], events[RUN_STEPS].images[0])


def test_cancel_stops_at_the_next_step(models_dir, rig):
    renderer = make_renderer(models_dir, rig, cache=False)
    events = []
    with pytest.raises(Cancelled):
        renderer.render_batch([talking(7)], preview=events.append, cancel=lambda: len(events) >= 2)
    assert [e.step for e in events] == [0, 1]  # the mesh render, the first step, then nothing
    assert len(renderer.frame_cache) == 0


def test_rgba_and_odd_sizes(models_dir, rig):
    renderer = make_renderer(models_dir, rig, size=(200, 150))
    rgba = renderer.render(talking(3), with_alpha=True)
    assert rgba.shape == (150, 200, 4) and rgba.dtype == np.uint8
    assert 0 < (rgba[..., 3] > 128).mean() < 1  # the person is opaque, the background is not


def test_factory_builds_the_tiny_folder_and_refuses_bad_settings(tmp_path):
    from studio.render.diffusion import create_diffusion_renderer

    renderer = create_diffusion_renderer(DiffusionSettings(models_dir=str(tmp_path)), seed=1)
    assert renderer.name == "diffusion"
    assert (tmp_path / "tiny" / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    with pytest.raises(InputError, match="strength"):
        create_diffusion_renderer(DiffusionSettings(models_dir=str(tmp_path), strength=0.0), seed=1)
    with pytest.raises(InputError, match="no denoising step"):
        create_diffusion_renderer(DiffusionSettings(models_dir=str(tmp_path), steps=1, strength=0.5), seed=1)


def test_the_preview_and_an_export_share_the_networks_one_call_at_a_time(models_dir, rig):
    """Two renderers on the same loaded weights (the studio's preview and an export) denoising
    at once: each call waits for the other (the caches' hooks on the shared networks clashed:
    "Hook with name studio_step_cache already exists"), and each gets its own frames."""
    import threading

    first, second = make_renderer(models_dir, rig), make_renderer(models_dir, rig)
    assert first.components is second.components
    alone = make_renderer(models_dir, rig).render_batch([talking(3), talking(4)])
    results, errors = {}, []

    def render(name, renderer):
        try:
            results[name] = renderer.render_batch([talking(3), talking(4)])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=render, args=(name, r))
               for name, r in (("first", first), ("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for name in ("first", "second"):
        for got, want in zip(results[name], alone):
            np.testing.assert_array_equal(got, want)
