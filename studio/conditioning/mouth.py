"""The mouth: ARKit mouth and jaw coefficients for every frame.

`mouth_coefficients` is the single place the mouth is decided, so that a better source (the
viseme track of lip sync) replaces the loudness drive here without touching anything else. The
speaking style's lip_amplitude is applied by the caller, on top of whatever this returns.

The loudness drive: the jaw opens with the voice and rests closed in silence; rising loudness
(syllable onsets) stretches the lips a little, falling loudness rounds them, so the mouth does
not read as a hinge.
"""

from __future__ import annotations

import numpy as np

from studio.analysis.performance import Performance
from studio.conditioning.timing import at_times
from studio.conditioning.visemes import viseme_mouth
from studio.doc.project import Project

SILENCE = 0.05  # loudness below which the mouth stays closed
JAW_GAIN = 0.6  # jawOpen at full loudness
STRETCH_GAIN, FUNNEL_GAIN = 0.25, 0.3
SLOPE_SCALE = 4.0  # loudness change per second that counts as a clear onset or release


def mouth_coefficients(project: Project, performance: Performance | None, times: np.ndarray
                       ) -> dict[str, np.ndarray]:
    """ARKit name -> (len(times),) mouth coefficients at lip_amplitude 1."""
    times = np.asarray(times, dtype=np.float64)
    if project.tracks.visemes:
        return viseme_mouth(project.tracks.visemes, times)
    if performance is None or performance.frame_count == 0:
        return {}
    return loudness_mouth(at_times(performance.loudness, performance.fps, times), project.fps)


def loudness_mouth(loudness: np.ndarray, fps: float) -> dict[str, np.ndarray]:
    """Mouth from per-frame loudness (0..1) alone: the fallback for any language or no text."""
    opening = np.clip((loudness - SILENCE) / (1.0 - SILENCE), 0.0, 1.0)
    slope = np.gradient(loudness) * fps if loudness.shape[0] > 1 else np.zeros_like(loudness)
    change = np.tanh(slope / SLOPE_SCALE)
    stretch = STRETCH_GAIN * opening * np.clip(change, 0.0, 1.0)
    funnel = FUNNEL_GAIN * opening * np.clip(-change, 0.0, 1.0)
    return {
        "jawOpen": JAW_GAIN * opening,
        "mouthFunnel": funnel,
        "mouthStretchLeft": stretch,
        "mouthStretchRight": stretch,
    }
