"""MediaPipe's solutions without the drawing helpers that drag in matplotlib.

`import mediapipe` runs `mediapipe.python.solutions/__init__`, which imports the drawing
helpers (`drawing_utils`, `drawing_styles`), and those import matplotlib.pyplot: about 0.9 s of
start-up for code the studio never calls (it draws its own overlays). Before MediaPipe is first
imported, the two helper modules are registered as stand-ins, found by path without importing
their package, that load the real module the first time one of its names is asked for. Pinned to mediapipe 0.10.21's
layout; if that layout changes, MediaPipe is simply imported the ordinary way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

_DRAWING = ("drawing_utils", "drawing_styles")
_lock = threading.Lock()


def solutions() -> ModuleType:
    """`mediapipe.solutions`, imported without matplotlib."""
    with _lock:
        if "mediapipe" not in sys.modules:
            _defer_drawing_helpers()
        import mediapipe

    return mediapipe.solutions


class _Deferred(ModuleType):
    """Stands in for a module until one of its names is used, then loads and becomes it."""

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec
        self.__file__ = spec.origin

    def __getattr__(self, attr: str):  # called only for names the stand-in does not have
        spec = self.__spec__
        real = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = real
        spec.loader.exec_module(real)
        return getattr(real, attr)


def _defer_drawing_helpers() -> None:
    spec = importlib.util.find_spec("mediapipe")  # a top-level lookup imports nothing
    if spec is None or not spec.submodule_search_locations:
        return
    folder = Path(next(iter(spec.submodule_search_locations))) / "python" / "solutions"
    for name in _DRAWING:
        full = f"mediapipe.python.solutions.{name}"
        found = importlib.machinery.PathFinder.find_spec(full, [str(folder)])
        if found is not None and found.loader is not None and full not in sys.modules:
            sys.modules[full] = _Deferred(found)
