"""Job files for the render queue's tests: tiny renders of the bundled portrait."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from studio.resources import SAMPLES_DIR

ROOT = Path(__file__).resolve().parent.parent
PORTRAIT = SAMPLES_DIR / "portrait.jpg"
PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"  # 3 s
SPEECH = SAMPLES_DIR / "speech.wav"  # 13 s
SIZE = 64


def job(output: str, audio: Path = PHRASE, **flags) -> dict:
    """A job for a tiny render: 64 pixels, lip sync from the signal (no recogniser)."""
    return {"portrait": str(PORTRAIT), "audio": str(audio), "output": output,
            "size": SIZE, "lipsync": "signal", **flags}


def write_json(path: Path, jobs: list[dict]) -> Path:
    path.write_text(json.dumps(jobs), encoding="utf-8")
    return path


def write_csv(path: Path, jobs: list[dict]) -> Path:
    keys = list(dict.fromkeys(key for row in jobs for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, keys)
        writer.writeheader()
        writer.writerows(jobs)
    return path


def listing(folder: Path) -> list[str]:
    """Everything in a folder, hidden files included, relative and sorted."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
