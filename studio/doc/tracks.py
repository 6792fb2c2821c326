"""The track registry: every timeline track, defined once.

A TrackSpec says what a track is (its kind and record type), what its keys hold (fields with
their ranges, defaults, labels and colours), how it is stored in the file, which lane of the
timeline shows it and how. Everything else reads it:
- the file's schema (studio/doc/schema.py builds the `tracks` part from it),
- loading and saving (studio/doc/io.py),
- the Document's track edits (studio/doc/document.py),
- the timeline's lanes, dots and curves and the inspector's fields (studio/ui),
- the sampling the conditioning uses (`sample_track`).

Adding a keyed track takes its record type and its field in Tracks (studio/doc/project.py), a
TrackSpec here, and what it does to the face (studio/conditioning/sequence.py).

Kinds:
- "curve":    one keyed scalar (Curve of Key), stored as {"default", "keys"};
- "keys":     keyed records of several fields, interpolated when `interpolated` (style, gaze)
              or held and cross-faded (emotion);
- "events":   moments without a value (blinks), drawn as ticks;
- "segments": spans [start, end) (visemes), edited by menu, not by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from studio.doc.curves import sample_curve, sample_keys, sample_records
from studio.doc.project import (
    DEFAULT_BLINK_RATE, EMOTIONS, POSE_TRACKS, STYLE_FIELDS, Blink, BrowKey, Curve, EmotionKey, GazeKey, Key,
    StyleKey, Tracks, VisemeSegment,
)

VISEME_NAMES: tuple[str, ...] = ("rest", "MBP", "FV", "TH", "L", "etc", "CH", "WQ", "O", "AI", "E")
KINDS: tuple[str, ...] = ("curve", "keys", "events", "segments")


@dataclass(frozen=True)
class Field:
    """One value of a key: its file name, label, range and default.

    `lo`/`hi` is what the file allows (the schema's range); `edit` narrows what the inspector
    offers where a smaller range makes sense. A `choices` field is text from a list.
    """

    name: str
    label: str
    lo: float = 0.0
    hi: float = 1.0
    default: Any = 0.0
    step: float = 0.1
    decimals: int = 2
    choices: tuple[str, ...] = ()
    exclusive_lo: bool = False
    required: bool = False
    color: str = "#adb5bd"
    legend: str = ""  # the name beside its colour in the lane's header
    edit: tuple[float, float] | None = None

    @property
    def numeric(self) -> bool:
        return not self.choices

    @property
    def edit_range(self) -> tuple[float, float]:
        return self.edit if self.edit is not None else (self.lo, self.hi)

    def schema(self) -> dict[str, Any]:
        if self.choices:
            return {"enum": list(self.choices)}
        node: dict[str, Any] = {"type": "number", "maximum": self.hi}
        node["exclusiveMinimum" if self.exclusive_lo else "minimum"] = self.lo
        return node


@dataclass(frozen=True)
class LaneSpec:
    """A horizontal band of the timeline: values lo..hi fill its height (in lane units)."""

    name: str
    label: str
    height: float
    lo: float = 0.0
    hi: float = 1.0


@dataclass(frozen=True)
class TrackSpec:
    name: str
    kind: str
    record: type
    fields: tuple[Field, ...]  # the key's values, after its time and before its interp
    lane: str
    label: str
    color: str = "#adb5bd"  # curves, events and segments; keyed records colour each field
    interpolated: bool = False
    # file: record fields left out when they hold this value, and whether an empty track is
    # written (tracks added after a release are left out when empty, so files that do not use
    # them still open in that release)
    omitted: Mapping[str, Any] = field(default_factory=dict)
    written_when_empty: bool = True
    required: tuple[str, ...] = ("t",)
    # edits: values a gesture sets on the key it moves or edits (a moved auto blink is the
    # artist's), and the values a first key takes when there is no earlier one to copy
    on_edit: Mapping[str, Any] = field(default_factory=dict)
    first_key: Mapping[str, Any] = field(default_factory=dict)
    default: float = 0.0  # a curve's value with no keys
    legend: str = ""  # a curve's or event track's name in its lane's header

    @property
    def time_field(self) -> str:
        return "start" if self.kind == "segments" else "t"

    def order(self, item: Any) -> float:
        return getattr(item, self.time_field)

    @property
    def keyed(self) -> bool:
        """Whether the timeline shows its keys as dots (everything but segments)."""
        return self.kind != "segments"

    @property
    def plotted(self) -> tuple[str, ...]:
        """The fields a key shows on the lane's value axis, one dot each ("t" for events)."""
        if self.kind == "curve":
            return ("v",)
        if self.kind == "events":
            return ("t",)
        return tuple(f.name for f in self.fields if f.numeric)

    def field_spec(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def color_of(self, field_name: str) -> str:
        if self.kind == "keys":
            return self.field_spec(field_name).color
        return self.color

    def legend_of(self, field_name: str) -> str:
        if self.kind == "keys":
            spec = self.field_spec(field_name)
            return spec.legend or spec.label
        return self.legend or self.label

    def items(self, tracks: Tracks) -> list[Any]:
        """The track's keys in `tracks` (a curve's Key list, else the record list), live."""
        value = getattr(tracks, self.name)
        return value.keys if self.kind == "curve" else value

    def set_items(self, tracks: Tracks, items: list[Any]) -> None:
        if self.kind == "curve":
            getattr(tracks, self.name).keys = items
        else:
            setattr(tracks, self.name, items)

    def schema(self) -> dict[str, Any]:
        """This track's part of the file's JSON schema."""
        time = {"$ref": "#/$defs/time"}
        props: dict[str, Any] = ({"start": time, "end": time} if self.kind == "segments"
                                 else {"t": time})
        props.update({f.name: f.schema() for f in self.fields})
        if self.interpolated:
            props["interp"] = {"$ref": "#/$defs/interp"}
        record = {"type": "object", "required": list(self.required),
                  "additionalProperties": False, "properties": props}
        if self.kind != "curve":
            return {"type": "array", "items": record}
        value = self.fields[0]
        return {"type": "object", "additionalProperties": False,
                "properties": {"default": value.schema(),
                               "keys": {"type": "array", "items": record}}}


def _curve(name: str, label: str, lane: str, lo: float, hi: float, color: str, legend: str,
           default: float = 0.0, step: float = 0.5) -> TrackSpec:
    return TrackSpec(name, "curve", Key, (Field("v", "Value", lo, hi, default, step, 2),), lane,
                     label, color, interpolated=True, required=("t", "v"), default=default,
                     legend=legend)


LANES: tuple[LaneSpec, ...] = (
    LaneSpec("visemes", "Visemes", 0.5),
    LaneSpec("pose", "Head pose °", 1.8, -30.0, 30.0),
    LaneSpec("gaze", "Gaze °", 0.9, -30.0, 30.0),
    LaneSpec("blinks", "Blinks /min", 0.9, 0.0, 60.0),
    LaneSpec("emotion", "Emotion", 0.9, 0.0, 1.0),
    LaneSpec("style", "Style", 1.0, 0.0, 2.0),  # its header: a name and three legend entries
    LaneSpec("brows", "Eyebrows", 0.9, -1.0, 1.0),
)

_SOURCE = ("user", "auto")
TRACKS: tuple[TrackSpec, ...] = (
    _curve("head_yaw", "Head yaw", "pose", -90, 90, "#ff6b6b", "yaw"),
    _curve("head_pitch", "Head pitch", "pose", -90, 90, "#69db7c", "pitch"),
    _curve("head_roll", "Head roll", "pose", -90, 90, "#4dabf7", "roll"),
    _curve("blink_rate", "Blink rate", "blinks", 0, 120, "#b197fc", "rate",
           default=DEFAULT_BLINK_RATE),
    TrackSpec("blinks", "events", Blink, (
        Field("duration", "Duration (s)", 0.0, 2.0, 0.2, 0.02, exclusive_lo=True,
              edit=(0.08, 1.0)),
        Field("source", "Source", choices=_SOURCE, default="user"),
    ), "blinks", "Blinks", "#e5dbff", omitted={"source": "user"},
        on_edit={"source": "user"}, legend="blinks, dotted: auto"),
    TrackSpec("emotion", "keys", EmotionKey, (
        Field("emotion", "Emotion", choices=EMOTIONS, default="neutral"),
        Field("intensity", "Intensity", 0.0, 1.0, 0.0, 0.05, color="#ffa94d"),
    ), "emotion", "Emotion", "#ffa94d", required=("t", "emotion", "intensity"),
        first_key={"emotion": "happy", "intensity": 0.5}),
    TrackSpec("style", "keys", StyleKey, tuple(
        Field(name, name.replace("_", " ").capitalize(), 0.0, 3.0, 1.0, 0.05, color=color,
              legend=name.replace("_", " "))
        for name, color in zip(STYLE_FIELDS, ("#ff8787", "#63e6be", "#ffd43b"), strict=True)
    ), "style", "Style", interpolated=True),
    TrackSpec("gaze", "keys", GazeKey, (
        Field("yaw", "Gaze yaw (°)", -45.0, 45.0, 0.0, 0.5, color="#f783ac", legend="yaw"),
        Field("pitch", "Gaze pitch (°)", -45.0, 45.0, 0.0, 0.5, color="#66d9e8", legend="pitch"),
    ), "gaze", "Gaze", interpolated=True),
    TrackSpec("visemes", "segments", VisemeSegment, (
        Field("viseme", "Mouth shape", choices=VISEME_NAMES, default="rest"),
        Field("source", "Source", choices=("auto", "user"), default="auto"),
    ), "visemes", "Visemes", "#3b5bdb", required=("start", "end", "viseme")),
    TrackSpec("brows", "keys", BrowKey, (
        Field("lift", "Raise", -1.0, 1.0, 0.0, 0.05, color="#ff922b", legend="raise"),
        # the viewer's right brow up, the other down (BrowKey)
        Field("offset", "Viewer's right − left", -1.0, 1.0, 0.0, 0.05, color="#74c0fc",
              legend="right − left (as seen)"),
    ), "brows", "Eyebrows", interpolated=True, written_when_empty=False),
)

TRACK: Mapping[str, TrackSpec] = MappingProxyType({spec.name: spec for spec in TRACKS})
TRACK_NAMES: tuple[str, ...] = tuple(TRACK)
CURVE_TRACKS: tuple[str, ...] = tuple(s.name for s in TRACKS if s.kind == "curve")
RECORD_TRACKS: Mapping[str, type] = MappingProxyType(
    {s.name: s.record for s in TRACKS if s.kind != "curve"})
KEYED_TRACKS: tuple[str, ...] = tuple(s.name for s in TRACKS if s.keyed)
LANE: Mapping[str, LaneSpec] = MappingProxyType({lane.name: lane for lane in LANES})


def spec(track: str) -> TrackSpec:
    try:
        return TRACK[track]
    except KeyError:
        raise KeyError(f"no track named {track!r}; tracks: {', '.join(TRACK_NAMES)}") from None


def lane_tracks(lane: str) -> tuple[TrackSpec, ...]:
    return tuple(s for s in TRACKS if s.lane == lane)


def sample_track(tracks: Tracks, track: str, times: np.ndarray) -> dict[str, np.ndarray]:
    """Each plotted value of a track at `times`: {"v": ...} for a curve, {field: ...} for keyed
    records (interpolated, or held from key to key), the defaults where there are no keys."""
    s = spec(track)
    times = np.asarray(times, dtype=np.float64)
    if s.kind == "curve":
        curve: Curve = getattr(tracks, track)
        return {"v": sample_curve(curve, times)}
    if s.kind != "keys":
        raise ValueError(f"{track} has no values to sample")
    names = s.plotted
    items = s.items(tracks)
    if s.interpolated or not items:
        return sample_records(items, names, times, {f.name: f.default for f in s.fields})
    ordered = sorted(items, key=s.order)
    values = np.array([[float(getattr(k, n)) for n in names] for k in ordered])
    held = sample_keys([k.t for k in ordered], values, ["step"] * len(ordered), times)
    return {name: held[:, i] for i, name in enumerate(names)}


def check_registry() -> None:
    """Each spec agrees with its record type and Tracks (run by the tests)."""
    from dataclasses import fields as dc_fields

    names = {f.name for f in dc_fields(Tracks)}
    assert set(TRACK_NAMES) == names, (set(TRACK_NAMES) ^ names)
    assert set(POSE_TRACKS) == {s.name for s in TRACKS if s.lane == "pose"}
    for s in TRACKS:
        assert s.kind in KINDS and s.lane in LANE, s.name
        record = [f.name for f in dc_fields(s.record)]
        own = [f.name for f in s.fields]
        if s.kind != "curve":
            expected = [s.time_field] + (["end"] if s.kind == "segments" else []) + own
            assert record == expected + (["interp"] if s.interpolated else []), (s.name, record)


__all__ = [
    "CURVE_TRACKS", "Field", "KEYED_TRACKS", "LANE", "LANES", "LaneSpec", "RECORD_TRACKS",
    "TRACK", "TRACKS", "TRACK_NAMES", "TrackSpec", "lane_tracks", "sample_track", "spec",
]
