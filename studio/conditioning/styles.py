"""Speaking-style presets: one choice that changes lips, head, brows and blinks together.

A preset sets the style keys (lip_amplitude, head_motion, expressiveness: applied per frame at
conditioning time) and the blink rate, and shapes the automatic tracks beyond a single gain:
how much of the head motion is nodding versus slow drift versus sway, and how strong the brows
are. Shaping is a cheap per-frame scaling of an existing Performance, so switching presets never
re-analyses the audio. Built-in presets live in resources/presets/*.json (studio.resources); users save their own
files in the same format (docs/lipsync.md).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.files import write_atomic
from studio.doc.project import STYLE_FIELDS, Project, StyleKey
from studio.resources import STYLE_PRESETS_DIR

BUILTIN: tuple[str, ...] = ("calm", "neutral", "energetic", "whisper", "exaggerated")
MOTION_FIELDS: tuple[str, ...] = ("nod", "drift", "sway")
MAX_GAIN = 5.0


@dataclass
class Preset:
    name: str
    description: str = ""
    style: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STYLE_FIELDS, 1.0))
    blink_rate: float = 17.0  # blinks per minute
    motion: dict[str, float] = field(default_factory=lambda: dict.fromkeys(MOTION_FIELDS, 1.0))
    expressive: float = 1.0  # gain on brow and cheek activity, on top of style.expressiveness

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "style": dict(self.style),
                "blink_rate": self.blink_rate, "motion": dict(self.motion),
                "expressive": self.expressive}


def _number(value: object, key: str, where: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise InputError(f"preset {where}: '{key}' must be a number from {lo:g} to {hi:g}, "
                         f"got {value!r}; fix the file or save the preset again")
    return float(value)


def preset_from_dict(data: object, where: str) -> Preset:
    """A validated Preset; `where` names the file in error messages."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise InputError(f"preset {where}: expected a JSON object with a 'name'; "
                         "fix the file or save the preset again")
    style, motion = data.get("style", {}), data.get("motion", {})
    if not isinstance(style, dict) or not isinstance(motion, dict):
        raise InputError(f"preset {where}: 'style' and 'motion' must be JSON objects")
    return Preset(
        name=data["name"],
        description=str(data.get("description", "")),
        style={k: _number(style.get(k, 1.0), k, where, 0.0, MAX_GAIN) for k in STYLE_FIELDS},
        blink_rate=_number(data.get("blink_rate", 17.0), "blink_rate", where, 0.0, 120.0),
        motion={k: _number(motion.get(k, 1.0), k, where, 0.0, MAX_GAIN) for k in MOTION_FIELDS},
        expressive=_number(data.get("expressive", 1.0), "expressive", where, 0.0, MAX_GAIN),
    )


def load_preset(path: str | Path) -> Preset:
    """A preset file; InputError with the file's name if it is missing or malformed."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(f"cannot read preset {path.name}: no such file ({path})") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read preset {path.name}: not valid JSON ({error}); "
                         "fix the file or save the preset again") from error
    return preset_from_dict(data, path.name)


def save_preset(preset: Preset, path: str | Path) -> None:
    """Write a preset file atomically (write_atomic), so a crash never leaves half a file."""
    write_atomic(Path(path), json.dumps(preset.to_dict(), indent=2) + "\n")


def builtin_preset(name: str) -> Preset:
    if name not in BUILTIN:
        raise InputError(f"unknown speaking style '{name}': use one of {', '.join(BUILTIN)} "
                         "or a preset file")
    return load_preset(STYLE_PRESETS_DIR / f"{name}.json")


def resolve_preset(name: str) -> Preset:
    """A built-in speaking style by name, or a user's preset file by path.

    Read once per file version: every preview re-conditions the clip, and a key drag would
    otherwise re-read the preset file on each mouse move.
    """
    if name in BUILTIN:
        return _cached_builtin_preset(name)
    if name.endswith(".json"):
        try:
            version = Path(name).stat().st_mtime_ns
        except OSError:
            return load_preset(name)  # says clearly what is wrong with the path
        return _preset_file(name, version)
    raise InputError(f"unknown speaking style '{name}': use one of {', '.join(BUILTIN)} "
                     "or a preset .json file")


@functools.lru_cache(maxsize=None)
def _cached_builtin_preset(name: str) -> Preset:
    return builtin_preset(name)


@functools.lru_cache(maxsize=32)
def _preset_file(path: str, version: int) -> Preset:
    return load_preset(path)


def apply_preset(project: Project, preset: Preset) -> None:
    """Set the project's speaking style from a preset: one style key at t=0 (editable), and
    the preset's blink rate wherever the artist has keyed none. The artist's blink-rate keys,
    like every other track's, stay as they are."""
    project.style_preset = preset.name
    project.tracks.style = [StyleKey(t=0.0, **preset.style)]
    project.tracks.blink_rate.default = preset.blink_rate


def shape_performance(performance: Performance, preset: Preset) -> Performance:
    """The automatic tracks reshaped by the preset: nod, drift and sway gains, brow strength."""
    head = performance.head
    if head is not None:
        # Nods live in pitch and ty; drift in yaw and roll; sway in tx.
        gains = np.array([preset.motion["drift"], preset.motion["nod"], preset.motion["drift"],
                          preset.motion["sway"], preset.motion["nod"]], np.float32)
        head = head * gains
    expressive = {k: np.clip(v * preset.expressive, 0.0, 1.0).astype(np.float32)
                  for k, v in performance.expressive.items()}
    return replace(performance, head=head, expressive=expressive)
