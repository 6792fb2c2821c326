"""Files read and written safely: the studio's one way to do each.

Reading: only regular files are read, and never more than a cap. `/dev/zero` as a project would
be read until memory runs out, a named pipe would block forever, and a folder gives a confusing
message deep inside a decoder. Each is refused here in one line that says what the file is.

Writing: `write_atomic` is the one atomic write (projects, autosave sidecars, style presets,
the analysis cache): a crash or a full disk leaves the old file or the new one, never a mix.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
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


def write_atomic(path: Path, data: str | bytes) -> None:
    """The new text (UTF-8, newlines as given) or bytes go to a temporary file beside the
    target, reach the disk, then replace the target in one step, so a crash or a full disk
    leaves either the old file or the new one, never a mix. A symbolic link is written through:
    its target gets the new data, and the link stays a link. Temporaries that killed writers
    left behind are removed; a failure raises InputError and leaves the previous file as it was."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    _remove_stale_temporaries(path)
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot save {path}: {exc.strerror or exc}; choose another folder") \
            from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot save {path}: {exc.strerror or exc}; the previous file is "
                             "unchanged") from None
        raise
    sync_folder(path.parent)


def _remove_stale_temporaries(path: Path) -> None:
    """The temporaries of `path` that killed writers left behind; a live writer's stay."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[^.]+\.tmp")
    for entry in dead_writers_files(path.parent, pattern):
        entry.unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Make a rename into `folder` durable where the platform allows opening folders."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the file itself is already synced
    finally:
        os.close(fd)
