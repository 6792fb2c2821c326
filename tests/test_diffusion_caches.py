"""The pure-numpy parts of the caches: the foreground crop plan and the frame cache's bounds."""

from __future__ import annotations

import numpy as np

from studio.render.diffusion.foreground import Box, changed_pixels, feather, latent_mask, work_box
from studio.render.diffusion.diffused_frames import DiffusedFrameCache, frame_key


def test_crop_covers_the_change_plus_margin_on_the_unet_grid():
    mask = np.zeros((256, 256), bool)
    mask[100:120, 70:90] = True
    other = np.zeros_like(mask)
    other[130:140, 150:155] = True
    box = work_box([mask, other], margin=8, multiple=32)
    assert box == Box(x0=32, y0=64, x1=192, y1=160)
    assert all(v % 32 == 0 for v in (box.x0, box.y0, box.x1, box.y1))
    assert box.scaled(8) == Box(4, 8, 24, 20)
    # clipped to the frame, and nothing to do when nothing changed
    edge = np.zeros_like(mask)
    edge[0:4, 250:256] = True
    assert work_box([edge], margin=8, multiple=32) == Box(x0=224, y0=0, x1=256, y1=32)
    assert work_box([np.zeros_like(mask)], margin=8, multiple=32) is None


def test_changed_pixels_ignore_noise_but_not_motion_or_control():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    control = np.zeros((64, 64, 3), np.uint8)
    init = np.clip(ref.astype(int) + rng.integers(-2, 3, ref.shape), 0, 255).astype(np.uint8)
    init[10:20, 10:20] = 255 - ref[10:20, 10:20]
    moved_control = control.copy()
    moved_control[40, 40] = (10, 200, 10)
    changed = changed_pixels(init, ref, moved_control, control)
    expected = np.zeros((64, 64), bool)
    expected[40, 40] = True
    expected[10:20, 10:20] = np.abs(255 - 2 * ref[10:20, 10:20].astype(int)).max(axis=2) >= 6
    assert np.array_equal(changed, expected)


def test_latent_mask_marks_every_touched_cell_and_feather_stays_in_range():
    mask = np.zeros((32, 32), bool)
    mask[7, 8] = True
    cells = latent_mask(mask, 8)
    assert cells.shape == (4, 4) and cells.sum() == 1 and cells[0, 1]
    soft = feather(mask, 2.0)
    assert soft.dtype == np.float32 and 0 < soft.max() <= 1 and soft[20:, 20:].max() == 0


def test_frame_cache_is_keyed_by_signals_and_context_and_bounded():
    frame = np.zeros((16, 16, 3), np.uint8)
    cache = DiffusedFrameCache(max_bytes=3 * frame.nbytes)
    keys = [frame_key(f"signals{i}", "portrait|512x512|seed 0") for i in range(4)]
    assert frame_key("signals0", "portrait|512x512|seed 1") != keys[0]
    for i, key in enumerate(keys[:3]):
        cache.put(key, frame + i)
    assert cache.get(keys[0])[0, 0, 0] == 0  # touching keys[0] makes keys[1] the oldest
    cache.put(keys[3], frame + 3)
    assert len(cache) == 3 and cache.get(keys[1]) is None
    got = cache.get(keys[3])
    got[:] = 99  # callers get copies: the cached frame stays as rendered
    assert cache.get(keys[3])[0, 0, 0] == 3
    assert (cache.hits, cache.misses) == (3, 1)
