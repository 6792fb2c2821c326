"""Atomic saves: a crash, a kill or a full disk leaves the old file or the new one, never a mix.

A temporary named after the writing process is written beside the target, fsynced, then renamed
over it; temporaries of writers that were killed are removed by the next save.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from studio.doc.errors import InputError
from studio.doc.files import dead_writers_files


def write_atomic(path: Path, text: str) -> None:
    """The new text goes to a temporary file beside the target, reaches the disk, then
    replaces the target in one step, so a crash or a full disk leaves either the old file or
    the new one, never a mix. A symbolic link is written through: its target gets the new
    text, and the link stays a link."""
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
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
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
    _sync_folder(path.parent)


def _remove_stale_temporaries(path: Path) -> None:
    """The temporaries of `path` that killed writers left behind; a live writer's stay."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[^.]+\.tmp")
    for entry in dead_writers_files(path.parent, pattern):
        entry.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows opening folders."""
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
