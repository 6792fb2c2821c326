"""Mouth cues as Rhubarb Lip Sync writes them, and back (docs/exchange.md).

Rhubarb's shapes (its README, "Mouth shapes"): A closed (P, B, M), B slightly open with clenched
teeth (most consonants, EE), C open (EH, AE), D wide open (AA), E slightly rounded (AO, ER),
F puckered (UW, OW, W), and the optional extended shapes G (F, V), H (long L) and X (idle).
Without an extended shape Rhubarb writes its stand-in: G -> B, H -> C, X -> A.

Times are centiseconds, as Rhubarb's: cues are contiguous from 0 to the clip's duration
truncated to 0.01 s, and written with two decimals. TSV ends with the closing line (the end
time and X); XML and JSON carry the duration and the sound file in `metadata`; Moho's DAT is
"MohoSwitch1" then one "FRAME SHAPE" line per change, frame = 1 + int(fps x start), fps 24-100.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from studio.conditioning.visemes import resolve
from studio.doc.errors import InputError
from studio.doc.project import VisemeSegment

SHAPES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
EXTENDED: tuple[str, ...] = ("G", "H", "X")
STAND_IN = {"G": "B", "H": "C", "X": "A"}  # an extended shape left out -> what Rhubarb writes
# The studio's visemes (Preston Blair's set, plus TH and CH) as Rhubarb shapes, and back. The
# reverse is Rhubarb's own Preston Blair naming (its --datUsePrestonBlair table), F as WQ.
TO_SHAPE: dict[str, str] = {
    "rest": "X", "MBP": "A", "etc": "B", "TH": "B", "CH": "B", "E": "C", "AI": "D",
    "O": "E", "WQ": "F", "FV": "G", "L": "H",
}
TO_VISEME: dict[str, str] = {
    "X": "rest", "A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "WQ", "G": "FV",
    "H": "L",
}
PRESTON_BLAIR: dict[str, str] = {
    "A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV", "H": "L",
    "X": "rest",
}
DAT_FPS = (24.0, 100.0)  # the frame rates Rhubarb's DAT export accepts


@dataclass(frozen=True)
class MouthCue:
    start: int  # centiseconds
    end: int
    shape: str

    @property
    def seconds(self) -> tuple[float, float]:
        return self.start / 100, self.end / 100


def centiseconds(t: float) -> int:
    return int(math.floor(t * 100 + 1e-6))


def check_extended(extended: str) -> str:
    bad = set(extended) - set(EXTENDED)
    if bad:
        raise InputError(f"extended shapes are a subset of GHX, not {extended!r}")
    return "".join(s for s in EXTENDED if s in extended)


def target_shape(shape: str, extended: str = "GHX") -> str:
    return STAND_IN[shape] if shape in STAND_IN and shape not in extended else shape


def cues_from_visemes(segments: Sequence[VisemeSegment], duration: float,
                      extended: str = "GHX") -> list[MouthCue]:
    """Contiguous cues from 0 to the duration: the user's segments win where they overlap
    automatic ones, gaps are X (idle), neighbours with the same shape are merged."""
    extended = check_extended(extended)
    end = centiseconds(duration)
    cues: list[MouthCue] = []

    def add(a: int, b: int, shape: str) -> None:
        a = max(a, cues[-1].end if cues else 0)
        b = min(b, end)
        if b <= a:
            return
        if cues and cues[-1].end < a:
            add(cues[-1].end, a, "X")
        elif not cues and a > 0:
            cues.append(MouthCue(0, a, target_shape("X", extended)))
        shape = target_shape(shape, extended)
        if cues and cues[-1].shape == shape and cues[-1].end == a:
            cues[-1] = MouthCue(cues[-1].start, b, shape)
        else:
            cues.append(MouthCue(a, b, shape))

    for seg in resolve(segments):
        add(round(seg.start * 100), round(seg.end * 100), TO_SHAPE[seg.viseme])
    add(cues[-1].end if cues else 0, end, "X")
    if not cues:  # as Rhubarb: one zero-length idle cue
        cues.append(MouthCue(0, 0, target_shape("X", extended)))
    return cues


def visemes_from_cues(cues: Iterable[MouthCue]) -> list[VisemeSegment]:
    """User viseme segments (overrides), one per cue; X (idle) is the rest shape."""
    return [VisemeSegment(c.start / 100, c.end / 100, TO_VISEME[c.shape], "user")
            for c in cues if c.end > c.start]


def _end(cues: Sequence[MouthCue]) -> int:
    return cues[-1].end if cues else 0


def write_tsv(cues: Sequence[MouthCue], closed: str = "X") -> str:
    lines = [f"{c.start / 100:.2f}\t{c.shape}" for c in cues]
    lines.append(f"{_end(cues) / 100:.2f}\t{closed}")
    return "\n".join(lines) + "\n"


def write_json(cues: Sequence[MouthCue], sound_file: str) -> str:
    rows = ",\n".join(f'    {{ "start": {c.start / 100:.2f}, "end": {c.end / 100:.2f}, '
                      f'"value": "{c.shape}" }}' for c in cues)
    return ("{\n  \"metadata\": {\n"
            f"    \"soundFile\": {json.dumps(sound_file, ensure_ascii=False)},\n"
            f"    \"duration\": {_end(cues) / 100:.2f}\n"
            "  },\n  \"mouthCues\": [\n" + rows + "\n  ]\n}\n")


def write_xml(cues: Sequence[MouthCue], sound_file: str) -> str:
    rows = "".join(f'    <mouthCue start="{c.start / 100:.2f}" end="{c.end / 100:.2f}">'
                   f"{c.shape}</mouthCue>\n" for c in cues)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rhubarbResult>\n  <metadata>\n'
            f"    <soundFile>{escape(sound_file)}</soundFile>\n"
            f"    <duration>{_end(cues) / 100:.2f}</duration>\n  </metadata>\n"
            f"  <mouthCues>\n{rows}  </mouthCues>\n</rhubarbResult>\n")


def dat_frame(cs: int, fps: float) -> int:
    """1 + the frame a time falls in; (fps x cs) / 100 keeps whole products whole (30 x 4.10 s
    as seconds is 122.999...)."""
    return 1 + int(fps * cs / 100 + 1e-9)


def write_dat(cues: Sequence[MouthCue], fps: float = 24.0, preston_blair: bool = False,
              closed: str = "X") -> str:
    """Moho switch data: frame numbers from 1 at `fps`; a change on a frame that already has
    one is dropped, as Rhubarb drops it."""
    if not DAT_FPS[0] <= fps <= DAT_FPS[1]:
        raise InputError(f"the DAT frame rate must be between {DAT_FPS[0]:g} and "
                         f"{DAT_FPS[1]:g} fps, not {fps:g}")

    def name(shape: str) -> str:
        return PRESTON_BLAIR[shape] if preston_blair else shape

    lines, last = ["MohoSwitch1"], 0
    for c in cues:
        frame = dat_frame(c.start, fps)
        if frame != last:
            lines.append(f"{frame} {name(c.shape)}")
            last = frame
    frame = dat_frame(_end(cues), fps)
    lines.append(f"{frame + 1 if frame == last else frame} {name(closed)}")
    return "\n".join(lines) + "\n"


def write_cues(kind: str, cues: Sequence[MouthCue], sound_file: str = "", fps: float = 24.0,
               preston_blair: bool = False, extended: str = "GHX") -> str:
    """The cues in one of Rhubarb's formats: "tsv", "json", "xml" or "dat"."""
    closed = target_shape("X", check_extended(extended))
    if kind == "tsv":
        return write_tsv(cues, closed)
    if kind == "json":
        return write_json(cues, sound_file)
    if kind == "xml":
        return write_xml(cues, sound_file)
    if kind == "dat":
        return write_dat(cues, fps, preston_blair, closed)
    raise ValueError(f"no mouth-cue format {kind!r}")


# --- reading ----------------------------------------------------------------------------------

_TIME = re.compile(r"^\d+(\.\d+)?$")


def _shape(value: str, where: str) -> str:
    shape = value.strip()
    if shape not in SHAPES:
        raise InputError(f"{where}: {shape!r} is not a Rhubarb mouth shape (A-H or X)")
    return shape


def _cs(value: object, where: str) -> int:
    text = str(value).strip()
    if not _TIME.match(text):
        raise InputError(f"{where}: {text!r} is not a time in seconds")
    return round(float(text) * 100)


def _checked(cues: list[MouthCue], name: str) -> list[MouthCue]:
    for i, c in enumerate(cues):
        if c.end < c.start or (i and c.start < cues[i - 1].end):
            raise InputError(f"{name}: mouth cue {i + 1} ({c.start / 100:.2f} s) is out of order")
    return cues


def parse_tsv(text: str, name: str = "cues.tsv") -> list[MouthCue]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputError(f"{name}: line {n}: expected 'SECONDS<tab>SHAPE'")
        rows.append((_cs(parts[0], f"{name}: line {n}"), _shape(parts[1], f"{name}: line {n}")))
    if not rows:
        raise InputError(f"{name}: no mouth cues")
    if len(rows) == 1:
        return [MouthCue(rows[0][0], rows[0][0], rows[0][1])]
    return _checked([MouthCue(a, b, s) for (a, s), (b, _) in zip(rows, rows[1:])], name)


def parse_json(text: str, name: str = "cues.json") -> list[MouthCue]:
    try:
        data = json.loads(text)
        rows = data["mouthCues"]
        return _checked([MouthCue(_cs(r["start"], name), _cs(r["end"], name),
                                  _shape(r["value"], name)) for r in rows], name)
    except KeyError as exc:
        raise InputError(f"{name}: not Rhubarb JSON mouth cues (it has no {exc.args[0]} entry)"
                         ) from None
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: not Rhubarb JSON mouth cues ({exc})") from None


def parse_xml(text: str, name: str = "cues.xml") -> list[MouthCue]:
    try:
        root = ElementTree.fromstring(text)
        rows = root.iter("mouthCue")
        return _checked([MouthCue(_cs(r.get("start"), name), _cs(r.get("end"), name),
                                  _shape(r.text or "", name)) for r in rows], name)
    except ElementTree.ParseError as exc:
        raise InputError(f"{name}: not Rhubarb XML mouth cues ({exc})") from None


def parse_dat(text: str, fps: float, name: str = "cues.dat") -> list[tuple[int, str]]:
    """(frame, shape) lines of a Moho switch file (alphabetic or Preston Blair names)."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != ["MohoSwitch1"]:
        raise InputError(f"{name}: not a Moho switch file (no MohoSwitch1 header)")
    for n, parts in enumerate(lines[1:], 2):
        if len(parts) != 2 or not parts[0].isdigit():
            raise InputError(f"{name}: line {n}: expected 'FRAME SHAPE'")
    # One naming per file: Rhubarb's letters, or Preston Blair's names (which include "E", the
    # letter C, so a letter file must not be read through them)
    letters = all(parts[1] in PRESTON_BLAIR for parts in lines[1:])
    names = {} if letters else {v: k for k, v in PRESTON_BLAIR.items()}
    return [(int(parts[0]), _shape(names.get(parts[1], parts[1]), f"{name}: line {n}"))
            for n, parts in enumerate(lines[1:], 2)]
