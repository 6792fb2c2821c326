"""Silence the native log lines MediaPipe's C++ graphs print straight to file descriptor 2.

Its TensorFlow Lite and absl warnings ("Feedback manager requires a model with a single
signature", "Created TensorFlow Lite XNNPACK delegate") are written by C++ below Python, so no
logging setting reaches them, and they would bury the studio's own one-line messages. The graphs
run synchronously inside `process()`, so redirecting the descriptor for the duration of graph
creation and processing catches them.

Descriptor 2 belongs to the whole process, and in the studio the analysis runs on worker threads
while the window thread may be reporting an error. So Python's own stderr is first moved to a
duplicate of the descriptor, which is never redirected: messages and tracebacks from any thread
still reach the terminal while native logs are silenced. Overlapping silences (two analyses at
once) are counted, so the descriptor comes back only when the last one ends.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_saved: int | None = None  # the real descriptor 2 while it is silenced


def _keep_python_stderr() -> None:
    """Give the interpreter's stderr a descriptor of its own (not when a test harness or an
    embedding program has already replaced the stream)."""
    if sys.stderr is not sys.__stderr__ or sys.stderr is None:
        return
    try:
        if sys.stderr.fileno() != 2:
            return
    except (OSError, ValueError):
        return
    sys.stderr.flush()
    stream = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding,
                       errors=sys.stderr.errors)
    sys.stderr = sys.__stderr__ = stream


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    global _depth, _saved
    if os.environ.get("STUDIO_NATIVE_LOGS"):  # for debugging MediaPipe itself
        yield
        return
    with _lock:
        if _depth == 0:
            _keep_python_stderr()
            _saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.dup2(_saved, 2)
                os.close(_saved)
                _saved = None
