"""The interface every renderer implements: a prepared subject plus one ControlFrame -> a frame."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.conditioning.control_frame import ControlFrame


class Renderer(Protocol):
    name: str

    def prepare(self, rig: FaceRig, width: int, height: int) -> None:
        """Do the per-portrait work once (meshing, resizing, caches) for output width x height."""

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        """H x W x 3 uint8 RGB, or H x W x 4 RGBA (alpha from the person mask) if with_alpha."""
