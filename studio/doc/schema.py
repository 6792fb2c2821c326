"""The project file's JSON schema and the one-line refusals of content that breaks it.

studio/doc/project.schema.json holds the file's settings; its `tracks` part is built from the
track registry (studio/doc/tracks.py) when the schema is first used, so a track is defined once.
Loading validates against the whole and turns the first violation into one line naming the file,
the key path and the reason, so a hand-edited project never fails deep inside a render.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from studio.doc.errors import InputError
from studio.doc.tracks import TRACKS

SCHEMA_PATH = Path(__file__).with_name("project.schema.json")


def project_schema() -> dict[str, Any]:
    """The whole schema: the file's, with one property per registered track (a copy)."""
    return copy.deepcopy(_project_schema())


@lru_cache(maxsize=1)
def _project_schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["tracks"]["properties"] = {spec.name: spec.schema() for spec in TRACKS}
    return schema


@lru_cache(maxsize=None)
def setting_bounds(name: str) -> tuple[float, float]:
    """(minimum, maximum) the schema allows for a project-level number such as "fps": the one
    source of these limits for the document, the command line and the inspector, so a value
    one of them accepts always saves and loads (a renderer's own settings have theirs in its
    RendererKind)."""
    node = setting_schema(name)
    return node.get("minimum", float("-inf")), node.get("maximum", float("inf"))


def setting_schema(name: str) -> dict[str, Any]:
    """The schema of a project-level value by dotted name, its `$ref` followed."""
    schema = _project_schema()
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
    for spec in TRACKS:
        if spec.kind != "segments":
            continue
        for i, segment in enumerate(data.get("tracks", {}).get(spec.name, [])):
            if segment["end"] <= segment["start"]:
                problems.append((["tracks", spec.name, i, "end"], "must be after start"))
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
    """Refuse content that does not follow the current schema, with the first problem's key path."""
    validate_part(data, _project_schema(), source)
    problems = _semantic_errors(data)
    if problems:
        path, reason = problems[0]
        raise InputError(f"{source}: {key_path(path)}: {reason}")


def validate_part(data: Any, schema: dict[str, Any], source: str = "project",
                  where: tuple[Any, ...] = ()) -> None:
    """Refuse `data`, found at key path `where` of a file, when it does not follow `schema`:
    the one-line message names the file, the key path and the reason, as a project's does (a
    renderer's settings are checked this way against the renderer's own schema)."""
    import jsonschema  # lazily: only loading a file needs it

    validator = _validator_class()(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        path, reason = _reason(jsonschema.exceptions.best_match(errors))
        raise InputError(f"{source}: {key_path([*where, *path])}: {reason}")
