"""Finished frames keyed by everything that determines them, so an edit re-renders only what it changed.

The key joins the ControlFrame's signal digest (not its index or time: two frames with equal
signals render equally), the portrait, the output size, the seed and every setting and weight
that reaches the picture. Memory is bounded; the least recently used frames go first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def frame_key(signal_key: str, context: str) -> str:
    return hashlib.blake2b(f"{signal_key}|{context}".encode(), digest_size=16).hexdigest()


class DiffusedFrameCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> np.ndarray | None:
        frame = self._frames.get(key)
        if frame is None:
            self.misses += 1
            return None
        self._frames.move_to_end(key)
        self.hits += 1
        return frame.copy()

    def put(self, key: str, frame: np.ndarray) -> None:
        if key in self._frames:
            self._bytes -= self._frames.pop(key).nbytes
        stored = frame.copy()
        stored.setflags(write=False)
        self._frames[key] = stored
        self._bytes += stored.nbytes
        while self._bytes > self.max_bytes and len(self._frames) > 1:
            _, old = self._frames.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._frames.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)
