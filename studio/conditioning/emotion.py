"""Emotion keys -> ARKit coefficients.

Each emotion is a preset of coefficients at full intensity, scaled by the key's intensity. A key
starts a cross-fade at its time from whatever the face shows then (possibly mid-fade) to its own
target, lasting EMOTION_FADE seconds with ease-in-out, so changing mood never snaps. Before the
first key the first key's state holds, as for every other track.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from studio.conditioning.control_frame import BLENDSHAPE_INDEX, BLENDSHAPES
from studio.doc.curves import ease_in_out
from studio.doc.project import EmotionKey

EMOTION_FADE = 0.5  # seconds from one emotion to the next


def _both(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


PRESETS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "neutral": {},
    "happy": {**_both("mouthSmile", 0.7), **_both("cheekSquint", 0.5), **_both("eyeSquint", 0.25),
              **_both("mouthDimple", 0.2)},
    "sad": {"browInnerUp": 0.6, **_both("mouthFrown", 0.5), **_both("browDown", 0.15),
            "mouthShrugLower": 0.25, **_both("eyeSquint", 0.1)},
    "angry": {**_both("browDown", 0.7), **_both("eyeSquint", 0.3), **_both("noseSneer", 0.3),
              **_both("mouthPress", 0.4), "jawForward": 0.1},
    "surprised": {"browInnerUp": 0.6, **_both("browOuterUp", 0.7), **_both("eyeWide", 0.6),
                  "jawOpen": 0.15},
    "fearful": {"browInnerUp": 0.7, **_both("browOuterUp", 0.3), **_both("eyeWide", 0.5),
                **_both("mouthStretch", 0.4), "jawOpen": 0.08},
    "disgusted": {**_both("noseSneer", 0.6), **_both("mouthUpperUp", 0.5), **_both("browDown", 0.3),
                  **_both("cheekSquint", 0.2), **_both("eyeSquint", 0.2),
                  **_both("mouthFrown", 0.2)},
})


def preset_vector(emotion: str, intensity: float = 1.0) -> np.ndarray:
    """The preset as a dense vector in BLENDSHAPES order."""
    vector = np.zeros(len(BLENDSHAPES))
    for name, value in PRESETS[emotion].items():
        vector[BLENDSHAPE_INDEX[name]] = value * intensity
    return vector


def emotion_coefficients(keys: Sequence[EmotionKey], times: np.ndarray) -> np.ndarray:
    """(len(times), len(BLENDSHAPES)) coefficients of the emotion track."""
    times = np.asarray(times, dtype=np.float64)
    out = np.zeros((times.shape[0], len(BLENDSHAPES)))
    if not keys:
        return out
    ordered = sorted(keys, key=lambda k: k.t)
    state = preset_vector(ordered[0].emotion, ordered[0].intensity)
    out[:] = state
    for i, key in enumerate(ordered):
        target = preset_vector(key.emotion, key.intensity)
        end = ordered[i + 1].t if i + 1 < len(ordered) else np.inf
        inside = (times >= key.t) & (times < end)
        u = ease_in_out(np.clip((times[inside] - key.t) / EMOTION_FADE, 0.0, 1.0))[:, None]
        out[inside] = state + (target - state) * u
        if np.isfinite(end):  # where this fade stands when the next key takes over
            w = float(ease_in_out(np.clip(np.array((end - key.t) / EMOTION_FADE), 0.0, 1.0)))
            state = state + (target - state) * w
    return out
