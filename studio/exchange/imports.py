"""A file from another tool back onto the timeline (docs/exchange.md).

- Rhubarb mouth cues (TSV, JSON, XML; Moho DAT at its frame rate) become the artist's viseme
  overrides ("user" segments) over the cues' span; the automatic segments stay underneath.
- A Live Link Face CSV becomes pose curves, gaze and eyebrow keys and blinks (capture.py).

`read_import` returns the tracks to replace; the command line applies them to the project, the
studio through one undoable command.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from pathlib import Path

from studio.doc.errors import InputError
from studio.doc.files import read_regular_file
from studio.doc.project import Project, VisemeSegment
from studio.exchange import rhubarb
from studio.exchange.capture import captured_tracks
from studio.exchange.formats import ExchangeFormat, format_for
from studio.exchange.livelink import read_livelink

MAX_IMPORT_BYTES = 256 * 2**20  # a 30-minute Live Link Face take at 60 fps is about 120 MB
HINT = "give Rhubarb cues (.tsv, .json, .xml, .dat) or a Live Link Face .csv"


@dataclass
class Imported:
    kind: str  # "cues" or "capture"
    tracks: dict[str, object]
    summary: str
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOptions:
    offset: float = 0.0  # seconds of audio where the file's time 0 (or origin) lands
    origin: float | None = None  # a capture's timecode (seconds) that is the audio's start
    capture_fps: int | None = None  # the capture's frame rate (None: from its timecodes)
    dat_fps: float = 24.0


def parse_timecode(text: str) -> float:
    """A time of day HH:MM:SS(.sss) as seconds: the capture timecode that is the audio's start."""
    parts = text.strip().split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        return int(parts[0]) * 3600 + int(parts[1]) * 60 + float(parts[2])
    except ValueError:
        raise InputError(f"{text!r} is not a time of day HH:MM:SS(.sss)") from None


def _shifted_cues(cues: list[rhubarb.MouthCue], offset: float) -> list[VisemeSegment]:
    out = []
    for seg in rhubarb.visemes_from_cues(cues):
        start, end = max(seg.start + offset, 0.0), seg.end + offset
        if end > start:
            out.append(VisemeSegment(round(start, 6), round(end, 6), seg.viseme, "user"))
    return out


def overrides(existing: list[VisemeSegment], imported: list[VisemeSegment]
              ) -> list[VisemeSegment]:
    """The viseme track with `imported` as the user's segments over their span: earlier user
    segments inside it are replaced, automatic ones kept underneath."""
    if not imported:
        return list(existing)
    lo, hi = imported[0].start, imported[-1].end
    kept = [s for s in existing if s.source != "user" or s.end <= lo or s.start >= hi]
    return sorted(kept + imported, key=lambda s: s.start)


def _dat_cues(text: str, fps: float, name: str) -> list[rhubarb.MouthCue]:
    frames = rhubarb.parse_dat(text, fps, name)
    # the first centisecond on or after each frame's start: written again, 1 + int(fps x t)
    # gives the same frame (rounding to the nearest put half of them one frame early)
    starts = [math.ceil((f - 1) * 100 / fps - 1e-9) for f, _ in frames]
    return [rhubarb.MouthCue(a, b, s) for a, b, (_, s) in zip(starts, starts[1:], frames)]


def read_import(project: Project, path: Path, options: ImportOptions = ImportOptions(),
                fmt: ExchangeFormat | None = None) -> Imported:
    path = Path(path)
    fmt = fmt or format_for(path)
    if not fmt.readable:
        raise InputError(f"{path.name}: {fmt.description} cannot be imported; {HINT}")
    raw = read_regular_file(path, "file", HINT, MAX_IMPORT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text; {HINT}") from None
    if fmt.cues:
        if fmt.name == "dat":
            cues = _dat_cues(text, options.dat_fps, path.name)
        else:
            cues = {"tsv": rhubarb.parse_tsv, "json": rhubarb.parse_json,
                    "xml": rhubarb.parse_xml}[fmt.name](text, path.name)
        segments = _shifted_cues(cues, options.offset)
        if not segments:
            raise InputError(f"{path.name}: no mouth cues after the start of the audio")
        track = overrides(project.tracks.visemes, segments)
        return Imported("cues", {"visemes": track},
                        f"{len(segments)} mouth cues as viseme overrides")
    take = read_livelink(text, path.name, options.capture_fps)
    try:
        captured = captured_tracks(take, project, options.offset, options.origin)
    except ValueError as exc:
        raise InputError(f"{path.name}: {exc}") from None
    a, b = captured.span
    summary = f"capture {a:.2f}-{b:.2f} s at {take.fps} fps: {captured.summary()}"
    if captured.dropped:
        summary += f"; no track for {len(captured.dropped)} coefficients (mouth, cheeks, ...)"
    return Imported("capture", captured.tracks, summary, captured.dropped)


def apply_import(project: Project, imported: Imported) -> None:
    for track, items in imported.tracks.items():
        setattr(project.tracks, track, items)
