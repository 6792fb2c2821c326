"""Every renderer the studio offers, and all a caller needs to know about each: one list.

A renderer's package declares its RendererKind: how to create it, the settings it takes (each
with its type, range, default, label and command-line flag), whether this installation can run
it and what to install if not, whether its frames depend on the seed, and how far ahead the
studio renders around the playhead. The project file's `render.<name>` object, `studio render`'s
flags, the inspector's fields and the engine's checks are all made from these declarations, so
nothing outside a renderer's own package names it. This module only lists the packages.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.doc.errors import InputError
from studio.doc.project import RenderSettings

# The modules that declare a KIND, in the order the studio lists them (the first is the default).
_DECLARED_IN = ("studio.render.mesh_kind", "studio.render.diffusion")

SETTING_TYPES = ("int", "float", "bool", "choice", "text", "folder")


@dataclass(frozen=True)
class Setting:
    """One setting of a renderer, stored in the project as render.<renderer>.<name>."""

    name: str
    label: str
    type: str  # one of SETTING_TYPES
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # the minimum itself is not allowed (a strength of 0 does nothing)
    step: float = 1.0  # the inspector's arrow step for numbers
    choices: Callable[[], Sequence[str]] | None = None  # offered values of a "choice"
    choice_labels: Callable[[], Mapping[str, tuple[str, str]]] | None = None  # value -> (label, tip)
    pattern: str | None = None  # the shape a stored text must have (no paths, no new lines)
    describe: str = ""  # "must be ..." when a stored text does not have that shape
    flag: str | None = None  # the command-line flag, e.g. --steps
    flag_words: tuple[str, str] | None = None  # a bool's flag values, e.g. ("on", "off")
    text: str = ""  # a bool's check box text, beside the box (what "on" does, in two words)

    def __post_init__(self) -> None:
        if self.type not in SETTING_TYPES:
            raise ValueError(f"setting {self.name}: unknown type {self.type}")

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the stored value (project files are validated against it)."""
        if self.type == "folder":
            return {"type": ["string", "null"], "maxLength": 4096,
                    "pattern": "^[^\\u0000\\n]*$", "description": "must be a folder path"}
        kind = {"int": "integer", "float": "number", "bool": "boolean"}.get(self.type, "string")
        schema: dict[str, Any] = {"type": kind}
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.above_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if kind == "string":
            schema["maxLength"] = 64
            if self.pattern:
                schema["pattern"] = self.pattern
            if self.describe:
                schema["description"] = self.describe
        return schema

    def bounds(self) -> tuple[float, float]:
        """(lowest, highest) a number may be, for spin boxes and flag checks."""
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return low, high

    def check(self, value: Any, where: str) -> Any:
        """The value as this setting stores it, or InputError naming `where` and the range."""
        if self.type in ("int", "float"):
            whole = self.type == "int"
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
                not whole or float(value).is_integer()) and math.isfinite(value)
            low, high = self.bounds()
            if ok:
                ok = (value > low if self.above_minimum else value >= low) and value <= high
            if not ok:
                raise InputError(f"{where} {value}: {self.range_words()}")
            return int(value) if whole else float(value)
        if self.type == "bool":
            if not isinstance(value, bool):
                raise InputError(f"{where} {value}: must be on or off")
            return value
        if self.type == "folder":
            return None if value in (None, "") else str(value)
        if not isinstance(value, str) or "\n" in value:
            raise InputError(f"{where} {value!r}: {self.describe or 'must be text'}")
        if self.choices is not None and self.type == "choice":
            offered = list(self.choices())
            if value not in offered:
                raise InputError(f"{where} {value}: unknown {self.label.lower()}; use one of "
                                 f"{', '.join(offered)}")
        return value

    def range_words(self) -> str:
        low, high = self.bounds()
        number = "a whole number" if self.type == "int" else "a number"
        if self.above_minimum:
            return f"use {number} above {_plain(low)} and at most {_plain(high)}"
        return f"use {number} from {_plain(low)} to {_plain(high)}"


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class RendererKind:
    """A renderer as the rest of the studio sees it (see the module docstring)."""

    name: str
    label: str
    description: str
    create: Callable[[Mapping[str, Any], int], Any]  # (checked settings, seed) -> a Renderer
    settings: tuple[Setting, ...] = ()
    uses_seed: bool = False  # its frames depend on the project's seed
    # Frames rendered (ahead of, behind) the playhead when it stops, and ahead while playing:
    # what the worker can finish before the artist looks there.
    preview_span: tuple[int, int] = (25, 5)
    playing_ahead: int = 50
    missing: Callable[[], list[str]] = field(default=lambda: [])  # packages this install lacks
    missing_message: Callable[[list[str]], str] = field(default=lambda names: "")
    missing_note: Callable[[list[str]], str] = field(default=lambda names: "")
    # Checks what the settings point at (a models folder, a preset) before anything loads.
    check_sources: Callable[[Mapping[str, Any]], None] = field(default=lambda settings: None)
    # (the command line's words, the studio's words) for the same step, used in its messages:
    # a flag becomes the inspector field that does the same.
    studio_wording: tuple[tuple[str, str], ...] = ()
    # Extra (name, value) rows for `studio info`: where it finds its models, say.
    report: Callable[[], list[tuple[str, str]]] = field(default=lambda: [])
    # A module of its own subcommands (`studio models ...`), by dotted name: COMMANDS,
    # add_commands(sub) and run_command(args, context) -> exit status, as studio/batch/command.py.
    commands: str | None = None
    # Pages for the studio's Help menu: (title, a function giving the page's HTML when opened)
    help_pages: tuple[tuple[str, Callable[[], str]], ...] = ()
    # What the studio says (a status line) when the renderer's checked settings make frames a
    # user could mistake for a fault, say a test pattern; "" when there is nothing to say
    notice: Callable[[Mapping[str, Any]], str] = field(default=lambda settings: "")

    def setting(self, name: str) -> Setting:
        for setting in self.settings:
            if setting.name == name:
                return setting
        raise KeyError(f"render.{self.name}.{name}")

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.settings}

    def resolve(self, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        """The stored settings over the defaults, each checked (unknown names are refused)."""
        values = self.defaults()
        for name, value in (stored or {}).items():
            setting = self.setting(name)
            values[name] = setting.check(value, f"render.{self.name}.{name}")
        return values

    def unavailable(self) -> str | None:
        """One line saying what to install, or None when this installation can run it."""
        missing = self.missing()
        return self.missing_message(missing) if missing else None

    def require(self) -> None:
        message = self.unavailable()
        if message:
            raise InputError(message)

    def scene_key(self, stored: Mapping[str, Any] | None, seed: int) -> str:
        """What a prepared renderer depends on besides the portrait and the size."""
        key = self.name
        if self.settings:
            values = self.resolve(stored)
            key += ":" + ",".join(f"{name}={values[name]!r}" for name in sorted(values))
        if self.uses_seed:
            key += f":seed {seed}"
        return key

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "properties": {s.name: s.schema() for s in self.settings}}


@functools.lru_cache(maxsize=1)
def _kinds() -> dict[str, RendererKind]:
    kinds = {}
    for module in _DECLARED_IN:
        kind = importlib.import_module(module).KIND
        kinds[kind.name] = kind
    return kinds


def command_modules() -> list[Any]:
    """The subcommand modules the renderers add to the command line (imported when asked)."""
    return [importlib.import_module(kind.commands) for kind in _kinds().values() if kind.commands]


def help_pages() -> list[tuple[str, Callable[[], str]]]:
    """Every renderer's Help menu pages, in the registry's order."""
    return [page for kind in _kinds().values() for page in kind.help_pages]


def renderer_names() -> tuple[str, ...]:
    """The renderers, the default first."""
    return tuple(_kinds())


def default_renderer() -> str:
    return renderer_names()[0]


def renderer_kind(name: str) -> RendererKind:
    kinds = _kinds()
    if name not in kinds:
        raise InputError(f"unknown renderer '{name}': use one of {', '.join(kinds)}")
    return kinds[name]


def all_kinds() -> list[RendererKind]:
    return list(_kinds().values())


def stored_settings(render: RenderSettings, name: str) -> dict[str, Any]:
    """What a project stores for renderer `name` (its render.<name> object), unchecked."""
    return dict(render.options.get(name, {}))


def settings_of(render: RenderSettings) -> dict[str, Any]:
    """The chosen renderer's settings, checked, over its defaults."""
    kind = renderer_kind(render.renderer)
    return kind.resolve(stored_settings(render, kind.name))


def notice_of(render: RenderSettings) -> str:
    """What the chosen renderer says of its settings (RendererKind.notice), or ""."""
    return renderer_kind(render.renderer).notice(settings_of(render))


def check_render_settings(render: RenderSettings, source: str = "project") -> None:
    """Refuse a project whose renderer, or any renderer's stored settings, this studio does not
    know or cannot use: one line with the file and the key path, as the loader's messages."""
    from studio.doc.schema import validate_part

    if render.renderer not in _kinds():
        raise InputError(f"{source}: render.renderer: unknown renderer '{render.renderer}'; "
                         f"use one of {', '.join(_kinds())}")
    for name, stored in render.options.items():
        if name not in _kinds():
            raise InputError(f"{source}: render.{name}: settings of an unknown renderer; "
                             f"renderers are {', '.join(_kinds())}")
        validate_part(stored, _kinds()[name].json_schema(), source, ("render", name))


def create_renderer(render: RenderSettings, seed: int = 0) -> Any:
    """An unprepared renderer for a project's render settings: the one place renderers are made.

    Refuses, with one line, a renderer this installation cannot run or settings out of range.
    """
    kind = renderer_kind(render.renderer)
    kind.require()
    return kind.create(kind.resolve(stored_settings(render, kind.name)), seed)
