"""Progress, log and cancel: the one interface every long engine call takes.

Long work (analysis, rendering, exporting) polls `cancel` between units of work instead of
being killed, so it always leaves its renderer and output in a consistent state. `cancel` is any
`() -> bool`; a CancelToken is the one the studio's jobs share between owner and worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from studio.doc.errors import Cancelled

Cancel = Callable[[], bool]
Progress = Callable[[int, int], None]  # (done, total)
Log = Callable[[str], None]


def quiet(_: str) -> None:
    """The default log: say nothing."""


def check_cancel(cancel: Cancel | None) -> None:
    """Raise Cancelled when `cancel` says so."""
    if cancel is not None and cancel():
        raise Cancelled()


class CancelToken:
    """A one-way flag shared between the job's owner (who cancels) and the job (who checks)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:
        """Tokens are the `cancel=` callable that the engine's calls poll."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
