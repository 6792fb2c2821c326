"""The interface every renderer implements: a prepared subject plus ControlFrames -> frames.

Everything a caller needs is declared here, so the engine, the preview worker and the studio
never probe a renderer with getattr or test its name:
- `prepare` once per portrait and output size;
- `render` one frame, or `render_batch` several (a renderer that denoises frames together is
  fastest a batch at a time; `batch_size` says how many it wants), and whether frames may be
  rendered on several threads at once (`renders_in_threads`);
- `posed_landmarks`, the re-posed face mesh a frame is drawn from, for the landmarks overlay.
How a renderer is chosen, what it needs installed and which settings it takes is its
RendererKind (studio.render.registry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.conditioning.control_frame import ControlFrame



@dataclass
class PreviewEvent:
    """An intermediate picture of a batch that refines step by step (a renderer that draws in
    one pass never sends one)."""

    frames: list[ControlFrame]  # the frames being refined, in batch order
    step: int                   # steps done: 0 is the picture the refinement starts from
    total: int                  # steps this request runs
    images: list[np.ndarray]    # H x W x 3 uint8 at output size, one per frame
    final: bool                 # True once, with step == total: the result replacing the previews


PreviewCallback = Callable[[PreviewEvent], None]


class Renderer(Protocol):
    name: str
    batch_size: int  # frames `render_batch` works on together; 1 for frame-by-frame renderers
    renders_in_threads: bool  # `render` only reads prepared state: frames may run on threads

    def prepare(self, rig: FaceRig, width: int, height: int) -> None:
        """Do the per-portrait work once (meshing, resizing, caches) for output width x height."""

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        """H x W x 3 uint8 RGB, or H x W x 4 RGBA (alpha from the person mask) if with_alpha."""

    def render_batch(self, frames: Sequence[ControlFrame], preview: PreviewCallback | None = None,
                     cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:
        """RGB frames for `frames`, in order; `preview` sees intermediate pictures of a
        single-frame batch, `cancel` is polled between steps."""

    def posed_landmarks(self, frame: ControlFrame) -> np.ndarray:
        """478 x 2 output-pixel positions of the face mesh as `frame` poses it."""


class FrameByFrame:
    """The batch half of the protocol for a renderer that draws each frame on its own:
    `render_batch` is `render` over the frames (in one pass, so `preview` is never called)."""

    batch_size = 1
    renders_in_threads = False

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        raise NotImplementedError

    def render_batch(self, frames: Sequence[ControlFrame], preview: PreviewCallback | None = None,
                     cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:
        return [self.render(frame) for frame in frames]
