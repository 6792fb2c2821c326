"""Project files: JSON that artists can diff, scripts can write, and a crash cannot truncate.

The file format is docs/project-format.md. This module turns a Project into file content and
back: every track through the track registry (studio/doc/tracks.py), older schemas through
MIGRATIONS, validation through studio/doc/schema.py, the text through studio/doc/jsontext.py and
the write through studio/doc/files.py (write_atomic). Paths are stored relative to the project file so a
project folder can be moved or shared.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable

from studio.doc.errors import InputError
from studio.doc.files import read_regular_file, write_atomic
from studio.doc.jsontext import DECIMALS, MAX_DEPTH, dump_json, parse
from studio.doc.project import (
    DEFAULT_RENDERER, SCHEMA_VERSION, Curve, Key, Project, RenderSettings, Tracks,
)
from studio.doc.schema import (
    SCHEMA_PATH, key_path, printable, project_schema, setting_bounds, setting_schema, validate,
)
from studio.doc.tracks import CURVE_TRACKS, RECORD_TRACKS, TRACKS

__all__ = [
    "CURVE_TRACKS", "MAX_DEPTH", "MAX_PROJECT_BYTES", "MIGRATIONS", "RECORD_TRACKS",
    "SCHEMA_PATH", "dumps", "key_path", "load_project", "loads", "migrate", "parse",
    "printable", "project_from_dict", "project_schema", "project_text", "project_to_dict",
    "save_project", "setting_bounds", "setting_schema", "validate", "write_atomic",
]

_PROJECT_FIELDS = ("portrait", "audio", "transcript", "duration", "fps", "width", "height",
                   "seed", "style_preset", "lipsync")
_PATH_FIELDS = ("portrait", "audio")
MAX_PROJECT_BYTES = 64 * 2**20  # an hour of speech is a few MB of visemes


# -- project <-> dict --------------------------------------------------------------------------

def _number(value: float) -> float:
    """Round so that the same project always writes the same text (and never writes -0.0)."""
    return float(round(float(value), DECIMALS)) + 0.0


def _record_to_dict(record: object, omitted: Any = None) -> dict[str, Any]:
    """Fields in declaration order (t first), float fields rounded, `omitted` defaults left out."""
    omitted = omitted or {}
    return {f.name: _number(getattr(record, f.name)) if f.type == "float"
            else getattr(record, f.name) for f in fields(record)
            if f.name not in omitted or getattr(record, f.name) != omitted[f.name]}


def _store_path(value: str | None, base: Path | None) -> str | None:
    if value is None or base is None:
        return value
    absolute = os.path.abspath(value)
    try:
        return Path(os.path.relpath(absolute, base)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(absolute).as_posix()


def _load_path(value: str | None, base: Path | None) -> str | None:
    if value is None or base is None:
        return value
    return os.path.normpath(base / value)


def _is_folder(setting: str) -> bool:
    """A renderer setting named *_dir is a folder path (see RenderSettings)."""
    return setting.endswith("_dir")


def project_to_dict(project: Project, base: Path | None = None) -> dict[str, Any]:
    """The file's content for `project`; paths become relative to `base` when given."""
    data: dict[str, Any] = {"schema": SCHEMA_VERSION}
    for name in _PROJECT_FIELDS:
        value = getattr(project, name)
        if name in _PATH_FIELDS:
            value = _store_path(value, base)
        elif name == "duration":
            value = _number(value)
        data[name] = value
    data["render"] = {"renderer": project.render.renderer}
    for renderer, options in project.render.options.items():
        data["render"][renderer] = {
            name: _store_path(value, base) if _is_folder(name) and value else value
            for name, value in options.items()}
    tracks: dict[str, Any] = {}
    for spec in TRACKS:
        items = sorted(spec.items(project.tracks), key=spec.order)
        if not items and not spec.written_when_empty:
            continue
        records = [_record_to_dict(item, spec.omitted) for item in items]
        if spec.kind == "curve":
            curve: Curve = getattr(project.tracks, spec.name)
            tracks[spec.name] = {"default": _number(curve.default), "keys": records}
        else:
            tracks[spec.name] = records
    data["tracks"] = tracks
    return data


def project_from_dict(data: dict[str, Any], base: Path | None = None,
                      source: str = "project") -> Project:
    """Build a Project from file content of any known schema, validating it first."""
    data = migrate(data, source)
    validate(data, source)
    project = Project()
    for name in _PROJECT_FIELDS:
        if name in data:
            value = data[name]
            if name in _PATH_FIELDS:
                value = _load_path(value, base)
            elif name == "duration":
                value = float(value)
            setattr(project, name, value)
    render = dict(data.get("render", {}))
    project.render = RenderSettings(renderer=render.pop("renderer", DEFAULT_RENDERER), options={
        renderer: {name: _load_path(value, base) if _is_folder(name) and value else value
                   for name, value in options.items()}
        for renderer, options in render.items()})
    tracks = Tracks()
    stored = data.get("tracks", {})
    for spec in TRACKS:
        if spec.name not in stored:
            continue
        entry = stored[spec.name]
        if spec.kind == "curve":
            curve: Curve = getattr(tracks, spec.name)
            curve.default = float(entry.get("default", curve.default))
            entry = entry.get("keys", [])
        record = Key if spec.kind == "curve" else spec.record
        spec.set_items(tracks, sorted((record(**r) for r in entry), key=spec.order))
    project.tracks = tracks
    return project


# -- schema migration --------------------------------------------------------------------------

def _migrate_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 0, the pre-release layout (docs/project-format.md, "Older files"): `version: 0`,
    square `size`, top-level `renderer`, pose tracks named yaw/pitch/roll holding bare key
    lists, and a constant `blink_rate` number."""
    out = {k: v for k, v in data.items() if k not in ("version", "size", "renderer", "tracks")}
    out["schema"] = 1
    if "size" in data:
        out["width"] = out["height"] = data["size"]
    if "renderer" in data:
        render = data.get("render", {})
        out["render"] = {**render, "renderer": data["renderer"]} if isinstance(render, dict) \
            else render  # not an object: the schema refuses it with its key path
    if not isinstance(data.get("tracks", {}), dict):
        out["tracks"] = data["tracks"]  # not an object: the schema refuses it
        return out
    old_tracks = dict(data.get("tracks", {}))
    tracks: dict[str, Any] = {}
    for old, new in (("yaw", "head_yaw"), ("pitch", "head_pitch"), ("roll", "head_roll")):
        if old in old_tracks:
            tracks[new] = {"keys": old_tracks.pop(old)}
    if "blink_rate" in old_tracks:
        rate = old_tracks.pop("blink_rate")
        tracks["blink_rate"] = {"default": rate, "keys": []} if isinstance(
            rate, (int, float)) and not isinstance(rate, bool) else rate
    tracks.update(old_tracks)
    out["tracks"] = tracks
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_0_to_1}


def schema_of(data: dict[str, Any], source: str) -> int:
    if "schema" in data:
        version = data["schema"]
    elif "version" in data:
        version = data["version"]
    else:
        raise InputError(f"{source}: not a project file (no \"schema\" key)")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InputError(f"{source}: schema: must be a whole number, not {version!r}")
    if version > SCHEMA_VERSION:
        raise InputError(f"{source}: written with schema {version} by a newer version of the "
                         f"studio (this one reads up to {SCHEMA_VERSION}); update the studio")
    return version


def migrate(data: dict[str, Any], source: str = "project") -> dict[str, Any]:
    """Bring file content of any older schema up to the current one."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: not a project file (expected a JSON object)")
    version = schema_of(data, source)
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


# -- text and files ----------------------------------------------------------------------------

def dumps(project: Project, base: Path | None = None) -> str:
    """The exact text a save writes: deterministic for equal projects."""
    return dump_json(project_to_dict(project, base), 0) + "\n"


def loads(text: str, base: Path | None = None, source: str = "project") -> Project:
    return project_from_dict(parse(text, source), base, source)


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write the project atomically (write_atomic)."""
    path = Path(os.path.abspath(path))
    write_atomic(path, project_text(project, path))


def project_text(project: Project, path: Path) -> str:
    """What a save of `project` to `path` writes (paths relative to its folder)."""
    try:
        text = dumps(project, path.parent)
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"cannot save {path.name}: a text holds a lone surrogate, which UTF-8 "
                         "cannot store; retype it") from None
    except (ValueError, OverflowError) as exc:  # NaN, infinity or a huge integer somewhere
        raise InputError(f"cannot save {path.name}: {exc}") from None
    return text


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project of any known schema; paths come back absolute."""
    path = Path(os.path.abspath(path))
    raw = read_regular_file(path, "project file", "give a .json project file",
                            MAX_PROJECT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not a project file (not UTF-8 text)") from None
    return loads(text, path.parent, path.name)
