"""Where an export lands: checked before rendering starts, written beside it, swapped in at the end.

The encoder writes to a hidden temporary path in the destination folder (same file system, so
the final os.replace is atomic). Until that rename nothing at the output path changes: a failed
or cancelled export leaves the previous file as it was and no partial file behind.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

from studio.doc.errors import InputError
from studio.doc.files import dead_writers_files
from studio.export.formats import ExportFormat, resolve_format

_SEQUENCE_FILE = re.compile(r"frame_\d{5,}\.png")


def check_output(out_path: str | Path, format: str | ExportFormat | None = None) -> ExportFormat:
    """Refuse an output the export could not write, before any time is spent rendering.

    Creates the destination folder if needed. An existing image-sequence folder is only
    replaced if it holds nothing but frames from an earlier export.
    """
    out_path = Path(out_path)
    fmt = resolve_format(out_path, format)
    folder = out_path.absolute().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"cannot write {out_path.name}: the folder {folder} cannot be created "
            f"({error.strerror}); choose another folder"
        ) from None
    if not os.access(folder, os.W_OK):
        raise InputError(
            f"cannot write {out_path.name}: the folder {folder} is not writable; "
            "choose another folder"
        )
    if fmt.is_sequence:
        if out_path.exists() and not out_path.is_dir():
            raise InputError(
                f"cannot write frames to {out_path.name}: a file with that name exists; "
                "choose a folder name"
            )
        if out_path.is_dir() and any(
            not _SEQUENCE_FILE.fullmatch(entry.name) for entry in out_path.iterdir()
        ):
            raise InputError(
                f"cannot write frames to {out_path.name}: the folder holds other files; "
                "choose a new or empty folder"
            )
    elif out_path.is_dir():
        raise InputError(
            f"cannot write {out_path.name}: a folder with that name exists; choose a file name"
        )
    return fmt


def _part_name(out_path: Path, fmt: ExportFormat) -> re.Pattern[str]:
    """The names of this output's temporaries: `.NAME.PID-XXXXXXXX.partSUFFIX`."""
    return re.compile(rf"\.{re.escape(out_path.name)}\.(\d+)-[0-9a-f]{{8}}\.part"
                      rf"{re.escape(fmt.suffix)}")


def remove_stale_temporaries(out_path: Path, fmt: ExportFormat) -> list[Path]:
    """Remove what an export to `out_path` killed outright (SIGKILL, a power cut) left behind:
    its temporaries, named after the process that wrote them, once that process is gone. Other
    outputs' temporaries and those of exports still running are left alone."""
    removed = dead_writers_files(out_path.parent, _part_name(out_path, fmt))
    for entry in removed:
        discard(entry)
    return removed


def disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def disk_full_message(out_path: Path) -> str:
    return (f"disk full writing {out_path.name}: free some space in {out_path.parent} or choose "
            "another folder (nothing was written)")


def make_temporary(out_path: Path, fmt: ExportFormat) -> Path:
    """Reserve a hidden sibling of the output path for the encoder to write into, after
    removing the stale ones of earlier exports to the same path that were killed.

    Created with the usual permissions (umask applied), unlike tempfile's private 0600 files,
    because this path becomes the user's output. The name holds the process id, so that the
    next export can tell a stale temporary from one still being written.
    """
    remove_stale_temporaries(out_path, fmt)
    for _ in range(100):
        temporary = out_path.parent / (f".{out_path.name}.{os.getpid()}-{secrets.token_hex(4)}"
                                       f".part{fmt.suffix}")
        try:
            if fmt.is_sequence:
                temporary.mkdir()
            else:
                os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as error:
            if disk_full(error):
                raise InputError(disk_full_message(out_path)) from None
            raise InputError(
                f"cannot write {out_path.name}: the folder {out_path.parent} is not writable "
                f"({error.strerror})"
            ) from None
        return temporary
    raise FileExistsError(f"no free temporary name beside {out_path}")


def commit(temporary: Path, out_path: Path) -> None:
    """Put the finished export at the output path, replacing what was there."""
    if not temporary.is_dir():
        os.replace(temporary, out_path)
        return
    if not out_path.exists():
        os.replace(temporary, out_path)
        return
    # A folder cannot atomically replace a non-empty folder: move the old one aside first and
    # put it back if the swap fails, so frames from the previous export are never lost halfway.
    previous = Path(
        tempfile.mkdtemp(prefix=f".{out_path.name}.", suffix=".old", dir=out_path.parent)
    )
    os.replace(out_path, previous / out_path.name)
    try:
        os.replace(temporary, out_path)
    except OSError:
        os.replace(previous / out_path.name, out_path)
        raise
    shutil.rmtree(previous)


def discard(temporary: Path) -> None:
    if temporary.is_dir():
        shutil.rmtree(temporary, ignore_errors=True)
    else:
        temporary.unlink(missing_ok=True)
