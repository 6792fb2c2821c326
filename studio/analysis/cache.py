"""On-disk cache of portrait analyses, keyed by the hash of the decoded pixels.

Reopening a project must be instant, and the same photo saved under another name or path is
still the same analysis. Entries are written atomically; one that cannot be read (a crash
mid-write on another system, a disk error, an older layout) is treated as missing and rewritten.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from studio.doc.errors import InputError
from studio.doc.files import write_atomic
from studio.resources import cache_dir

# Bump when the analysis changes what it computes, so stale entries are not reused.
ANALYSIS_VERSION = 5  # 4 was a mirrored plate edge, tried and withdrawn


def default_cache_dir() -> Path:
    return cache_dir("analysis")


def image_hash(rgb: np.ndarray, alpha: np.ndarray | None) -> str:
    """Digest of the decoded pixels (and their shape), independent of file name and format."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr(rgb.shape).encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    if alpha is not None:
        digest.update(np.ascontiguousarray(alpha).tobytes())
    return digest.hexdigest()


def entry_path(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / f"{key}-v{ANALYSIS_VERSION}.npz"


def load_entry(cache_dir: Path, key: str) -> dict[str, np.ndarray] | None:
    """The cached arrays for `key`, or None if absent or unreadable."""
    path = entry_path(cache_dir, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def save_entry(cache_dir: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (write_atomic).

    A cache that cannot be written (read-only home, full disk) only costs speed, so it is skipped.
    """
    path = entry_path(cache_dir, key)
    entry = io.BytesIO()
    np.savez(entry, **arrays)  # uncompressed: zlib gains little on photographs, and is slow
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, entry.getvalue())
    except (OSError, InputError):
        return
