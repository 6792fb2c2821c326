"""Per-frame signals at arbitrary times.

Performance arrays are sampled at the analysis frame rate, which need not match the project's
(the artist may change fps after analysis), and the clip has ceil(duration x fps) frames, so the
last frame can fall just past the analysed audio. Reading them by time, holding the edge values,
keeps every consumer free of off-by-one frame counts.
"""

from __future__ import annotations

import numpy as np


def at_times(values: np.ndarray, fps: float, times: np.ndarray) -> np.ndarray:
    """Linear reading of per-frame `values` ((N,) or (N, k)) at `times` in seconds."""
    values = np.asarray(values, dtype=np.float64)
    frames = np.asarray(times, dtype=np.float64) * fps
    if values.shape[0] == 0:
        return np.zeros((frames.shape[0],) + values.shape[1:])
    grid = np.arange(values.shape[0], dtype=np.float64)
    if values.ndim == 1:
        return np.interp(frames, grid, values)
    return np.stack([np.interp(frames, grid, values[:, j]) for j in range(values.shape[1])],
                    axis=1)
