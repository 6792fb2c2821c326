"""Silence the native log lines MediaPipe's C++ graphs print straight to file descriptor 2.

Its TensorFlow Lite and absl warnings ("Feedback manager requires a model with a single
signature", "Created TensorFlow Lite XNNPACK delegate") are written by C++ below Python, so no
logging setting reaches them, and they would bury the studio's own one-line messages. The graphs
run synchronously inside `process()`, so redirecting the descriptor for the duration of graph
creation and processing catches them; Python's own errors are raised after it is restored.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    if os.environ.get("STUDIO_NATIVE_LOGS"):  # for debugging MediaPipe itself
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
