"""Per-frame control signals of one document state, built lazily on the worker thread.

Building ControlFrames for a whole clip after every edit would stall the UI, and the cache only
ever needs the signal keys of the few frames it holds, so both are computed on first use and
memoised. A source that computes keys for many frames at once (ControlSequence.signal_keys, from
its arrays) is asked for them together, without building a ControlFrame per cached frame.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from studio.conditioning.control_frame import ControlFrame


class FrameSource(Protocol):
    def frame(self, index: int) -> ControlFrame: ...


class FrameSignals:
    """The ControlFrames of one immutable document snapshot; `build` runs at most once."""

    def __init__(self, count: int, build: Callable[[], FrameSource]) -> None:
        if count < 1:
            raise ValueError("a clip has at least one frame")
        self.count = count
        self._build = build
        self._source: FrameSource | None = None
        self._frames: dict[int, ControlFrame] = {}
        self._keys: dict[int, str] = {}
        self._lock = threading.Lock()

    def clamp(self, index: int) -> int:
        return min(max(int(index), 0), self.count - 1)

    def _built(self) -> FrameSource:
        with self._lock:
            if self._source is None:
                self._source = self._build()
            return self._source

    def frame(self, index: int) -> ControlFrame:
        index = self.clamp(index)
        cached = self._frames.get(index)
        if cached is not None:
            return cached
        frame = self._built().frame(index)
        self._frames[index] = frame
        return frame

    def key(self, index: int) -> str:
        index = self.clamp(index)
        cached = self._keys.get(index)
        if cached is None:
            cached = self._keys[index] = self.frame(index).signal_key()
        return cached

    def keys(self, indices: Iterable[int]) -> dict[int, str]:
        """The signal keys of several frames (indices inside the clip), batched when the source
        can compute them from its arrays."""
        indices = [int(i) for i in indices]
        wanted = sorted(set(indices) - set(self._keys))
        batch = getattr(self._built(), "signal_keys", None)
        if wanted and batch is not None:
            self._keys.update(zip(wanted, batch(wanted)))
        return {i: self.key(i) for i in indices}
