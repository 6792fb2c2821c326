"""The project document: what the artist directs, as plain data.

Everything here is pure Python so the document can be edited by commands, diffed as JSON,
scripted, and tested without Qt or any model. Times are seconds, angles degrees. Track names
and units are part of the file format (docs/project-format.md); changing them needs a schema
migration in studio/doc/io.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

INTERPOLATIONS: tuple[str, ...] = ("linear", "smooth", "step", "ease")
EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted")
# A file that names no renderer is drawn by the built-in one (studio.render.registry lists them).
DEFAULT_RENDERER = "mesh"
POSE_TRACKS: tuple[str, ...] = ("head_yaw", "head_pitch", "head_roll")
STYLE_FIELDS: tuple[str, ...] = ("lip_amplitude", "head_motion", "expressiveness")

DEFAULT_FPS = 25
DEFAULT_SIZE = 512
DEFAULT_BLINK_RATE = 17.0  # blinks per minute: a relaxed speaker


@dataclass
class Key:
    """A scalar key: value v at time t, interpolated toward the next key by `interp`."""

    t: float
    v: float
    interp: str = "smooth"


@dataclass
class Curve:
    """A keyed scalar track. Keys are kept sorted by time; empty means the default value."""

    keys: list[Key] = field(default_factory=list)
    default: float = 0.0

    def sort(self) -> None:
        self.keys.sort(key=lambda k: k.t)


@dataclass
class Blink:
    """Eyes fully closed at t, lasting `duration` seconds.

    `source` is "user" (the artist placed it) or "auto" (drawn from the blink rate and the seed
    and stored so the artist can see and delete each one).
    """

    t: float
    duration: float = 0.2
    source: str = "user"


@dataclass
class EmotionKey:
    """From t on, the face moves toward `emotion` at `intensity` (0..1); keys cross-fade."""

    t: float
    emotion: str = "neutral"
    intensity: float = 0.0


@dataclass
class StyleKey:
    """Speaking style from t on: 1.0 is natural for every field."""

    t: float
    lip_amplitude: float = 1.0
    head_motion: float = 1.0
    expressiveness: float = 1.0
    interp: str = "smooth"


@dataclass
class GazeKey:
    """Eye direction in degrees (yaw > 0 looks to the viewer's right, pitch > 0 looks up)."""

    t: float
    yaw: float = 0.0
    pitch: float = 0.0
    interp: str = "smooth"


@dataclass
class BrowKey:
    """Eyebrows, on top of what the voice and the emotion do with them.

    `lift` raises both brows (1: fully up) or lowers them into a frown (-1); `offset` raises the
    brow on the viewer's right by half of it and lowers the other by as much (negative: the
    other way), so offset 1 with lift 0 is one brow raised."""

    t: float
    lift: float = 0.0
    offset: float = 0.0
    interp: str = "smooth"


@dataclass
class VisemeSegment:
    """One mouth shape over [start, end). `source` is "auto" (from the audio) or "user"."""

    start: float
    end: float
    viseme: str
    source: str = "auto"


@dataclass
class Tracks:
    head_yaw: Curve = field(default_factory=Curve)
    head_pitch: Curve = field(default_factory=Curve)
    head_roll: Curve = field(default_factory=Curve)
    blink_rate: Curve = field(default_factory=lambda: Curve(default=DEFAULT_BLINK_RATE))
    blinks: list[Blink] = field(default_factory=list)
    emotion: list[EmotionKey] = field(default_factory=list)
    style: list[StyleKey] = field(default_factory=list)
    gaze: list[GazeKey] = field(default_factory=list)
    visemes: list[VisemeSegment] = field(default_factory=list)
    brows: list[BrowKey] = field(default_factory=list)

    def pose_curve(self, name: str) -> Curve:
        if name not in POSE_TRACKS:
            raise KeyError(name)
        return getattr(self, name)


@dataclass
class RenderSettings:
    """Which renderer draws the frames, and each renderer's own settings as the file stores
    them (`render.<renderer>.<setting>`), by renderer name.

    What a renderer's settings mean, their ranges and defaults are the renderer's
    (studio.render.registry): the document keeps the values the artist set, and a setting
    never set takes the renderer's default. A setting whose name ends in `_dir` is a folder,
    stored relative to the project file like the portrait.
    """

    renderer: str = DEFAULT_RENDERER
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Project:
    """A talking-portrait project. Paths are absolute in memory, relative to the file on disk."""

    portrait: str | None = None
    audio: str | None = None
    transcript: str | None = None
    fps: int = DEFAULT_FPS
    width: int = DEFAULT_SIZE
    height: int = DEFAULT_SIZE
    seed: int = 0
    style_preset: str = "neutral"
    lipsync: str = "auto"
    render: RenderSettings = field(default_factory=RenderSettings)
    tracks: Tracks = field(default_factory=Tracks)
    duration: float = 0.0  # seconds of audio, filled in by analysis; 0 until known

    def frame_count(self) -> int:
        """Frames in the clip: ceil(duration x fps), at least one."""
        import math

        return max(1, math.ceil(round(self.duration * self.fps, 6)))

    def frame_time(self, index: int) -> float:
        return index / self.fps
