"""Errors a user can act on.

An InputError carries one line for the user: what is wrong, with which file, what to do.
The command line prints it and exits 2; the application shows it in a dialog. Anything else
that escapes is an internal error (exit 1, traceback in a log file).
"""

from __future__ import annotations

# The command line's exit statuses (studio/cli.py and every subcommand module, in any layer)
EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class InputError(Exception):
    """Bad input from the user: a file, an argument, a project. The message is the whole story."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Cancelled(Exception):
    """Raised inside long work when its cancel token fires; never shown as an error."""
