"""JSON text of project files: written so a moved key is a one-line diff, read so that nothing a
project cannot hold (a key given twice, 1e400, a lone surrogate, absurd nesting) gets past.

Numbers are rounded to DECIMALS places both ways, so what loads is what a save writes.
"""

from __future__ import annotations

import json
from typing import Any

from studio.doc.errors import InputError
from studio.doc.schema import key_path, printable

DECIMALS = 6  # microseconds and micro-degrees: exact enough, and stable across save cycles
MAX_DEPTH = 8  # the deepest value of schema 1 (tracks.head_yaw.keys[0].t) is 5 levels down


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def dump_json(value: Any, indent: int = 0) -> str:
    """JSON with one record per line in track lists, so a moved key is a one-line diff."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dump_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, dict) and all(map(_is_scalar, v.values())) for v in value):
            lines = [inner + json.dumps(v, ensure_ascii=False, allow_nan=False) for v in value]
            return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
        return "[\n" + ",\n".join(inner + dump_json(v, indent + 2) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


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
        return round(value, DECIMALS) + 0.0  # what a save writes, so a reload equals it
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
