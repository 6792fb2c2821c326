"""The exchange formats by name and file ending, and the mouth-cue options (no heavy imports:
the command line builds its help from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.doc.errors import InputError


@dataclass(frozen=True)
class ExchangeFormat:
    name: str
    suffix: str
    description: str
    cues: bool  # mouth cues (from the viseme track); else per-frame curves
    readable: bool = True


FORMATS: dict[str, ExchangeFormat] = {f.name: f for f in (
    ExchangeFormat("tsv", ".tsv", "Rhubarb mouth cues (TSV)", True),
    ExchangeFormat("json", ".json", "Rhubarb mouth cues (JSON)", True),
    ExchangeFormat("xml", ".xml", "Rhubarb mouth cues (XML)", True),
    ExchangeFormat("dat", ".dat", "Moho switch data (DAT)", True),
    ExchangeFormat("livelink", ".csv", "ARKit blendshapes (Live Link Face CSV)", False),
    ExchangeFormat("live2d", ".motion3.json", "Live2D motion (motion3.json)", False,
                   readable=False),
)}


def format_for(path: Path, name: str | None = None) -> ExchangeFormat:
    """The format named, else the one the file name's ending says."""
    if name:
        if name not in FORMATS:
            raise InputError(f"unknown format {name!r}; formats: {', '.join(FORMATS)}")
        return FORMATS[name]
    lower = Path(path).name.lower()
    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
        if lower.endswith(fmt.suffix) or (fmt.name == "tsv" and lower.endswith(".txt")):
            return fmt
    raise InputError(f"{Path(path).name}: say which format (--format) or end the name with "
                     + ", ".join(f.suffix for f in FORMATS.values()))


@dataclass(frozen=True)
class CueOptions:
    dat_fps: float = 24.0
    preston_blair: bool = False
    extended: str = "GHX"
