"""One-off background jobs (analysis of dropped files, exports) with cancel tokens.

Each task runs on its own non-daemon thread so the UI thread never blocks on it; the runner
keeps every task it started so that shutdown() can cancel and join them all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from studio.doc.errors import Cancelled
from studio.jobs.cancel import CancelToken

logger = logging.getLogger(__name__)


class Task:
    """A running job: `fn(token)` on its thread; exactly one of the callbacks fires at the end."""

    def __init__(
        self,
        name: str,
        fn: Callable[[CancelToken], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_cancelled: Callable[[], None] | None,
    ) -> None:
        self.name = name
        self.token = CancelToken()
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancelled = on_cancelled
        self._thread = threading.Thread(target=self._run, name=f"studio-{name}", daemon=False)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._fn(self.token)
        except Cancelled:
            if self._on_cancelled is not None:
                self._on_cancelled()
            return
        except Exception as error:  # handed to the owner, which decides how to tell the user
            logger.debug("task %s failed", self.name, exc_info=True)
            self._on_error(error)
            return
        if self.token.cancelled:
            if self._on_cancelled is not None:
                self._on_cancelled()
            return
        self._on_done(result)


class TaskRunner:
    """Starts tasks and remembers the live ones for cancel-and-join at shutdown."""

    def __init__(self) -> None:
        self._tasks: list[Task] = []
        self._lock = threading.Lock()

    def start(
        self,
        name: str,
        fn: Callable[[CancelToken], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_cancelled: Callable[[], None] | None = None,
    ) -> Task:
        task = Task(name, fn, on_done, on_error, on_cancelled)
        with self._lock:
            self._tasks = [t for t in self._tasks if t.is_alive()]
            self._tasks.append(task)
        task.start()
        return task

    def live(self) -> list[Task]:
        with self._lock:
            return [t for t in self._tasks if t.is_alive()]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every live task and join it; raises if one refuses to stop in time."""
        tasks = self.live()
        for task in tasks:
            task.cancel()
        stuck = [t.name for t in tasks if not t.join(timeout)]
        if stuck:
            raise RuntimeError(f"background task(s) did not stop: {', '.join(stuck)}")
