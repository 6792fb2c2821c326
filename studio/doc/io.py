"""Project files: JSON that artists can diff, scripts can write, and a crash cannot truncate.

The file format is docs/project-format.md; studio/doc/project.schema.json is its machine-readable
form. Loading validates against that schema and turns the first violation into one line naming
the file, the key path and the reason, so a hand-edited project never fails deep inside a render.
Paths are stored relative to the project file so a project folder can be moved or shared.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from studio.doc.errors import InputError
from studio.doc.files import read_regular_file, write_atomic
from studio.doc.project import (
    POSE_TRACKS,
    SCHEMA_VERSION,
    Blink,
    Curve,
    DiffusionSettings,
    EmotionKey,
    GazeKey,
    Key,
    Project,
    RenderSettings,
    StyleKey,
    Tracks,
    VisemeSegment,
)

SCHEMA_PATH = Path(__file__).with_name("project.schema.json")

# Tracks stored as plain lists of records, and the record type of each.
RECORD_TRACKS: dict[str, type] = {
    "blinks": Blink,
    "emotion": EmotionKey,
    "style": StyleKey,
    "gaze": GazeKey,
    "visemes": VisemeSegment,
}
CURVE_TRACKS: tuple[str, ...] = (*POSE_TRACKS, "blink_rate")
# Record fields left out of the file when they hold this value: the artist's blinks stay the
# `{"t", "duration"}` they type by hand, and files from before `source` existed save unchanged.
_OMITTED_DEFAULTS: dict[str, dict[str, Any]] = {"blinks": {"source": "user"}}
_PROJECT_FIELDS = ("portrait", "audio", "transcript", "duration", "fps", "width", "height",
                   "seed", "style_preset", "lipsync")
_PATH_FIELDS = ("portrait", "audio")
_DECIMALS = 6  # microseconds and micro-degrees: exact enough, and stable across save cycles
MAX_PROJECT_BYTES = 64 * 2**20  # an hour of speech is a few MB of visemes
MAX_DEPTH = 8  # the deepest value of schema 1 (tracks.head_yaw.keys[0].t) is 5 levels down


# -- project <-> dict --------------------------------------------------------------------------

def _number(value: float) -> float:
    """Round so that the same project always writes the same text (and never writes -0.0)."""
    return float(round(float(value), _DECIMALS)) + 0.0


def _record_to_dict(record: object, omitted: dict[str, Any] | None = None) -> dict[str, Any]:
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
    diffusion = _record_to_dict(project.render.diffusion)
    diffusion["models_dir"] = _store_path(project.render.diffusion.models_dir, base)
    data["render"] = {"renderer": project.render.renderer, "diffusion": diffusion}
    tracks: dict[str, Any] = {}
    for name in CURVE_TRACKS:
        curve: Curve = getattr(project.tracks, name)
        keys = sorted(curve.keys, key=lambda k: k.t)
        tracks[name] = {"default": _number(curve.default),
                        "keys": [_record_to_dict(k) for k in keys]}
    for name in RECORD_TRACKS:
        records = getattr(project.tracks, name)
        order = (lambda r: r.start) if name == "visemes" else (lambda r: r.t)
        tracks[name] = [_record_to_dict(r, _OMITTED_DEFAULTS.get(name))
                        for r in sorted(records, key=order)]
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
    render = data.get("render", {})
    diffusion = dict(render.get("diffusion", {}))
    if "models_dir" in diffusion:
        diffusion["models_dir"] = _load_path(diffusion["models_dir"], base)
    project.render = RenderSettings(renderer=render.get("renderer", "mesh"),
                                    diffusion=DiffusionSettings(**diffusion))
    tracks = Tracks()
    stored = data.get("tracks", {})
    for name in CURVE_TRACKS:
        if name in stored:
            curve: Curve = getattr(tracks, name)
            curve.default = float(stored[name].get("default", curve.default))
            curve.keys = [Key(**k) for k in stored[name].get("keys", [])]
            curve.sort()
    for name, cls in RECORD_TRACKS.items():
        if name in stored:
            records = [cls(**r) for r in stored[name]]
            records.sort(key=(lambda r: r.start) if name == "visemes" else (lambda r: r.t))
            setattr(tracks, name, records)
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


# -- validation --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def project_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def setting_bounds(name: str) -> tuple[float, float]:
    """(minimum, maximum) the schema allows for a project-level number such as "fps" or
    "render.diffusion.steps": the one source of these limits for the document, the command line
    and the inspector, so a value one of them accepts always saves and loads."""
    node = setting_schema(name)
    return node.get("minimum", float("-inf")), node.get("maximum", float("inf"))


def setting_schema(name: str) -> dict[str, Any]:
    """The schema of a project-level value by dotted name, its `$ref` followed."""
    schema = project_schema()
    node = schema
    for part in name.split("."):
        node = node["properties"][part]
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def key_path(parts: list[Any] | tuple[Any, ...]) -> str:
    """`["tracks", "head_yaw", "keys", 3, "t"]` -> `tracks.head_yaw.keys[3].t`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = printable(str(part))
            text += f".{name}" if text else name
    return text or "(top level)"


def printable(text: str) -> str:
    """`text` as it can be shown on one line of any terminal: as a JSON string (escapes, quotes)
    when it holds a line break, a control character or a lone surrogate."""
    if text.isprintable() and not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return json.dumps(text)


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_TYPE_WORDS = {"number": "a number", "integer": "a whole number", "string": "text",
               "boolean": "true or false", "object": "an object", "array": "a list",
               "null": "null"}


def _reason(error: Any) -> tuple[list[Any], str]:
    """The key path and a short reason for one jsonschema error."""
    path = list(error.absolute_path)
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = next(name for name in expected if name not in instance)
        return path + [missing], "is required"
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = sorted(name for name in instance if name not in known)[0]
        return path + [extra], f"unknown key (known: {', '.join(sorted(known))})"
    reasons = {
        "minimum": lambda: f"must be >= {_bound(expected)}",
        "maximum": lambda: f"must be <= {_bound(expected)}",
        "exclusiveMinimum": lambda: f"must be > {_bound(expected)}",
        "exclusiveMaximum": lambda: f"must be < {_bound(expected)}",
        "enum": lambda: "must be one of " + ", ".join(map(str, expected)),
        "const": lambda: f"must be {expected!r}",
        "minLength": lambda: "must not be empty",
        "maxLength": lambda: f"must be at most {expected} characters long",
        "pattern": lambda: error.schema.get("description") or f"must match {expected}",
        "type": lambda: "must be " + " or ".join(
            _TYPE_WORDS.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)),
    }
    return path, reasons[kind]() if kind in reasons else printable(error.message)


def _semantic_errors(data: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """What the schema cannot say."""
    problems: list[tuple[list[Any], str]] = []
    for i, segment in enumerate(data.get("tracks", {}).get("visemes", [])):
        if segment["end"] <= segment["start"]:
            problems.append((["tracks", "visemes", i, "end"], "must be after start"))
    for name in ("width", "height"):
        if name in data and data[name] % 2:
            problems.append(([name], "must be even (video encoders need even sizes)"))
    return problems


@lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft 2020-12, except that an integer is written as one: 512.0 is not a size, 3.0 not a
    seed (the standard counts any float with no fraction as an integer)."""
    import jsonschema

    def is_integer(_checker: Any, instance: Any) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    base = jsonschema.Draft202012Validator
    return jsonschema.validators.extend(
        base, type_checker=base.TYPE_CHECKER.redefine("integer", is_integer))


def validate(data: dict[str, Any], source: str = "project") -> None:
    """Refuse content that does not follow schema 1, with the first problem's key path."""
    import jsonschema  # lazily: only loading a file needs it

    validator = _validator_class()(project_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        path, reason = _reason(jsonschema.exceptions.best_match(errors))
        raise InputError(f"{source}: {key_path(path)}: {reason}")
    problems = _semantic_errors(data)
    if problems:
        path, reason = problems[0]
        raise InputError(f"{source}: {key_path(path)}: {reason}")


# -- text ----------------------------------------------------------------------------------------

def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _dump(value: Any, indent: int) -> str:
    """JSON with one record per line in track lists, so a moved key is a one-line diff."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, dict) and all(map(_is_scalar, v.values())) for v in value):
            lines = [inner + json.dumps(v, ensure_ascii=False, allow_nan=False) for v in value]
            return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
        return "[\n" + ",\n".join(inner + _dump(v, indent + 2) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def dumps(project: Project, base: Path | None = None) -> str:
    """The exact text a save writes: deterministic for equal projects."""
    return _dump(project_to_dict(project, base), 0) + "\n"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object as parsed, remembering the first key it held twice."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for name, value in pairs:
        if name in obj and obj.duplicate is None:
            obj.duplicate = name
        obj[name] = value
    return obj


class _HugeInteger:
    """An integer literal too long to be any number of the schema (kept as its digits)."""

    def __init__(self, digits: str) -> None:
        self.digits = digits


def _integer(digits: str) -> int | _HugeInteger:
    return int(digits) if len(digits.lstrip("-")) <= 30 else _HugeInteger(digits)


def _clean(value: Any, path: list[Any], source: str) -> Any:
    """Parsed JSON -> plain dicts, lists and rounded floats, or the first thing no project can
    hold, refused with its key path: a key given twice, a number beyond any range (1e400, a
    hundred-digit integer), text that is not Unicode (a lone surrogate), or nesting deeper than
    any project's."""
    def refuse(where: list[Any], reason: str) -> InputError:
        return InputError(f"{source}: {key_path(where)}: {reason}")

    if len(path) > MAX_DEPTH:
        raise refuse(path, "nested too deeply to be part of a project")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise refuse(path, "is too large a number (beyond 1.8e308)")
        return round(value, _DECIMALS) + 0.0  # what a save writes, so a reload equals it
    if isinstance(value, _HugeInteger):
        raise refuse(path, f"is too large a number ({len(value.digits)} digits)")
    if isinstance(value, str):
        if not _encodable(value):
            raise refuse(path, "holds text that is not valid Unicode (a lone surrogate \\uD8xx)")
        return value
    if isinstance(value, list):
        return [_clean(item, path + [i], source) for i, item in enumerate(value)]
    if isinstance(value, dict):
        for name in value:
            if not _encodable(name):
                raise refuse(path + [name], "key is not valid Unicode (a lone surrogate)")
        if getattr(value, "duplicate", None) is not None:
            raise refuse(path + [value.duplicate], "given twice in the same object; keep one")
        return {name: _clean(item, path + [name], source) for name, item in value.items()}
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse(text: str, source: str = "project") -> Any:
    """The JSON value of a project file's text, cleaned (see _clean) but not yet validated."""
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_reject_constant,
                          parse_int=_integer)
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a project file; fix the file or "
                         "open another project") from None
    except ValueError as exc:
        raise InputError(f"{source}: not valid JSON ({printable(str(exc))}); fix the file or "
                         "open another project") from None
    return _clean(data, [], source)


def loads(text: str, base: Path | None = None, source: str = "project") -> Project:
    return project_from_dict(parse(text, source), base, source)


# -- files ---------------------------------------------------------------------------------------

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
