"""Speaking styles by name or file, read once per file version."""

from __future__ import annotations

import functools
from pathlib import Path

from studio.conditioning.presets import BUILTIN, Preset, apply_preset, builtin_preset, load_preset
from studio.doc.errors import InputError
from studio.doc.project import Project


def resolve_preset(name: str) -> Preset:
    """A built-in speaking style by name, or a user's preset file by path.

    Read once per file version: every preview re-conditions the clip, and a key drag would
    otherwise re-read the preset file on each mouse move.
    """
    if name in BUILTIN:
        return _builtin_preset(name)
    if name.endswith(".json"):
        try:
            version = Path(name).stat().st_mtime_ns
        except OSError:
            return load_preset(name)  # says clearly what is wrong with the path
        return _preset_file(name, version)
    raise InputError(f"unknown speaking style '{name}': use one of {', '.join(BUILTIN)} "
                     "or a preset .json file")


@functools.lru_cache(maxsize=None)
def _builtin_preset(name: str) -> Preset:
    return builtin_preset(name)


@functools.lru_cache(maxsize=32)
def _preset_file(path: str, version: int) -> Preset:
    return load_preset(path)


def set_style(project: Project, name: str) -> None:
    """Apply a speaking-style preset to the project's style keys and blink rate."""
    apply_preset(project, resolve_preset(name))
