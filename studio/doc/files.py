"""Input files checked at the door: only regular files are read, and never more than a cap.

`/dev/zero` as a project would be read until memory runs out, a named pipe would block forever,
and a folder gives a confusing message deep inside a decoder. Each is refused here in one line
that says what the file is.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from studio.doc.errors import InputError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """'a folder', 'a named pipe (FIFO)', ...: what a file that is not a regular file is."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _size(count: int) -> str:
    return f"{count / 2**20:g} MB" if count >= 2**20 else f"{count} bytes"


def check_regular_file(path: str | os.PathLike[str], what: str, hint: str) -> Path:
    """Refuse `path` unless it is an existing regular file (symlinks followed), without opening
    it: `what` names the role ("portrait", "voice clip"), `hint` says what to give instead."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} {path.name}: no such file ({path}); {hint}") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{what} {path.name}: cannot read it ({reason}); {hint}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{what} {path}: is {kind_of(mode)}, not a file; {hint}")
    return path


def read_regular_file(path: Path, what: str, hint: str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is refused.

    Opened without blocking (a named pipe with no writer would wait forever) and checked on the
    open descriptor, so the file cannot be swapped between the check and the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path.name}: no such {what} ({path})") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{path.name}: cannot read the {what} ({reason})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path.name}: {path} is {kind_of(mode)}, not a {what}; {hint}")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(f"{path.name}: larger than {_size(limit)}, too large for a {what}; "
                             f"{hint}")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the {what} ({exc.strerror or exc})") \
            from None
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    """Whether a process id names a running process (ours, or someone else's): temporaries and
    autosave sidecars named after their writer are stale only once the writer is gone."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**31  # someone else's live process (or an impossible id)
    return True


def dead_writers_files(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Entries of `folder` named by `pattern`, whose first group is the id of the process that
    wrote them, where that process is gone: what a writer killed outright (SIGKILL, a power
    cut) left behind. A live writer's are not listed."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return [entry for entry in entries
            if (match := pattern.fullmatch(entry.name)) and not process_alive(int(match.group(1)))]
