"""Rendered frames kept around the playhead, invalidated only where an edit changed the signals.

Each entry remembers the ControlFrame.signal_key() it was rendered from. After an edit the new
keys are compared frame by frame: a pose key moved at 3 s leaves the frames at 10 s cached, so
scrubbing back there is instant.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np


class FrameCache:
    """Thread-safe map frame index -> (signal key, image), bounded to a window of frames."""

    def __init__(self, capacity: int = 256) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: dict[int, tuple[str, np.ndarray]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._entries

    def get(self, index: int, signal_key: str) -> np.ndarray | None:
        """The cached image for `index` if it was rendered from exactly these signals."""
        with self._lock:
            entry = self._entries.get(index)
        if entry is None or entry[0] != signal_key:
            return None
        return entry[1]

    def put(self, index: int, signal_key: str, image: np.ndarray, playhead: int) -> None:
        """Store a frame; when full, drop the frames farthest from the playhead first."""
        with self._lock:
            self._entries[index] = (signal_key, image)
            if len(self._entries) > self.capacity:
                by_distance = sorted(self._entries, key=lambda i: abs(i - playhead), reverse=True)
                for victim in by_distance[: len(self._entries) - self.capacity]:
                    del self._entries[victim]

    def retain_matching(self, key_of: Callable[[int], str | None]) -> int:
        """Drop entries whose frame now has other signals; `key_of` gives None for gone frames.

        Keys are computed outside the lock (they may build ControlFrames); returns how many
        entries were dropped.
        """
        current = {i: key_of(i) for i in self.indices()}
        with self._lock:
            stale = [
                i for i, (key, _) in self._entries.items() if i in current and current[i] != key
            ]
            for i in stale:
                del self._entries[i]
        return len(stale)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def indices(self) -> list[int]:
        with self._lock:
            return sorted(self._entries)
