"""The contract between performance and rendering: one ControlFrame per output frame.

A renderer receives nothing about the performance except these explicit 3D signals, so any
track, automatic or hand-keyed, reaches the picture only through them. That keeps renderers
interchangeable (mesh, diffusion) and makes the signals testable on their own.

Sign conventions (tested against re-detected landmarks on rendered frames):
- yaw > 0 turns the face toward the viewer's right,
- pitch > 0 tilts the chin up,
- roll > 0 tilts the head clockwise as seen in the image.
Angles are degrees, relative to the portrait's own pose. Translation is a fraction of the face
width (x to the viewer's right, y down); scale is a multiplier around 1.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

# ARKit blendshape names: the vocabulary MediaPipe, Apple and most rigs share.
BLENDSHAPES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)
BLENDSHAPE_INDEX: Mapping[str, int] = MappingProxyType({n: i for i, n in enumerate(BLENDSHAPES)})


@dataclass(frozen=True)
class ControlFrame:
    """Explicit per-frame 3D control signals for a renderer."""

    index: int = 0
    t: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    tx: float = 0.0
    ty: float = 0.0
    scale: float = 1.0
    expression: Mapping[str, float] = field(default_factory=dict)
    gaze_yaw: float = 0.0
    gaze_pitch: float = 0.0

    def __post_init__(self) -> None:
        unknown = set(self.expression) - set(BLENDSHAPE_INDEX)
        if unknown:
            raise ValueError(f"unknown blendshape name(s): {', '.join(sorted(unknown))}")
        object.__setattr__(self, "expression", MappingProxyType(dict(self.expression)))

    def coefficient(self, name: str) -> float:
        return float(self.expression.get(name, 0.0))

    def signal_key(self) -> str:
        """A stable digest of the signals (not index or time): equal keys render equal frames."""
        values = [self.yaw, self.pitch, self.roll, self.tx, self.ty, self.scale,
                  self.gaze_yaw, self.gaze_pitch]
        values += [self.coefficient(n) for n in BLENDSHAPES]
        packed = struct.pack(f"<{len(values)}d", *(round(v, 6) for v in values))
        return hashlib.blake2b(packed, digest_size=16).hexdigest()
