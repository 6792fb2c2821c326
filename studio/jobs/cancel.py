"""Cancel tokens: how a superseded or abandoned job learns to stop.

Long work (rendering ahead, exporting) checks its token between units of work instead of being
killed, so it always leaves its renderer and output in a consistent state.
"""

from __future__ import annotations

import threading

from studio.doc.errors import Cancelled


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
        """Tokens double as the `cancel=` callable that export and analysis functions poll."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
