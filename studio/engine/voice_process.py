"""The voice's analysis (lip sync, prosody, loudness) in a process of its own, beside the
portrait's analysis and the renderer's preparation.

Phone recognition (pocketsphinx) holds the GIL for about a second of a 20-second clip, so a
thread cannot overlap it with anything written in Python. A forked child can: it shares the
parent's imported modules and the decoded clip (copy on write), runs `analyze_audio` and sends
the result back pickled through a pipe. Forking is used only where it is safe and cheap: Linux,
called from the main thread while no other Python thread runs, Qt not loaded. Elsewhere
`start` returns None and the caller analyses the voice in-process as before.

The child dies with the parent (PR_SET_PDEATHSIG) and ignores nothing: Ctrl-C ends it at once
without a traceback; the parent kills it on any error or cancel and always reaps it.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from studio.engine.cancel import Cancel, check_cancel

# STUDIO_VOICE_PROCESS=0 keeps the voice analysis in-process (debugging, profiling).
ENV_SWITCH = "STUDIO_VOICE_PROCESS"
_PR_SET_PDEATHSIG = 1
_POLL_S = 0.1  # how often a wait for the child looks at `cancel`


def can_fork() -> bool:
    """Whether a fork is safe here: Linux, the main thread, no other Python thread, no Qt."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and os.environ.get(ENV_SWITCH, "1") != "0"
            and threading.current_thread() is threading.main_thread()
            and threading.active_count() == 1
            and "PySide6.QtCore" not in sys.modules)


class ChildProcess:
    """`work()` running in a forked child; `result()` is its return value or its exception."""

    def __init__(self, pid: int, read_fd: int) -> None:
        self._pid, self._fd = pid, read_fd
        self._done = False

    @classmethod
    def start(cls, work: Callable[[], Any]) -> ChildProcess | None:
        """Fork a child that runs `work`; None where forking is not safe or fails."""
        if not can_fork():
            return None
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _run_child(work, write_fd, parent)
        os.close(write_fd)
        return cls(pid, read_fd)

    def result(self, cancel: Cancel | None = None) -> Any:
        """Wait for the child's answer (polling `cancel`), reap it, return or raise its result."""
        chunks = []
        try:
            while True:
                ready, _, _ = select.select([self._fd], [], [], _POLL_S)
                if not ready:
                    check_cancel(cancel)
                    continue
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        except BaseException:
            self.stop()
            raise
        status = self._reap()
        data = b"".join(chunks)
        if not data:
            raise RuntimeError(f"the voice analysis process ended without an answer ({_describe(status)})")
        ok, value = pickle.loads(data)
        if ok:
            return value
        raise value

    def stop(self) -> None:
        """Kill the child (if it still runs) and reap it; idempotent."""
        if self._done:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()

    def _reap(self) -> int:
        self._done = True
        try:
            os.close(self._fd)
        except OSError:
            pass
        while True:
            try:
                return os.waitpid(self._pid, 0)[1]
            except InterruptedError:
                continue
            except ChildProcessError:
                return 0


def _run_child(work: Callable[[], Any], write_fd: int, parent: int) -> None:
    code = 1
    try:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # end quietly, as the parent cleans up
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before prctl took effect
            return
        try:
            payload = (True, work())
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            error.add_note("in the voice analysis process:\n" + traceback.format_exc())
            payload = (False, error)
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an unpicklable exception: its text is enough
            data = pickle.dumps((False, RuntimeError(repr(payload[1]))))
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
