"""Writes resources/samples/sample-project.json, the sample project the studio's welcome page
and the standalone bundle open: the bundled portrait and speech with the automatic tracks filled
in (`studio init`), plus a little direction to show what the tracks do (a turn toward the
listener, a nod, a warm smile at the end, a deliberate blink).

    .venv/bin/python tools/make_sample_project.py
"""

from __future__ import annotations

from studio.cli import main
from studio.doc.io import load_project, save_project
from studio.doc.project import Blink, EmotionKey, Key
from studio.resources import SAMPLE_PORTRAIT, SAMPLE_PROJECT, SAMPLE_SPEECH


def direct(path) -> None:
    project = load_project(path)
    tracks = project.tracks
    tracks.head_yaw.keys = [Key(0.0, 0.0), Key(2.5, 8.0), Key(6.0, 8.0), Key(8.0, -4.0),
                            Key(11.0, 0.0)]
    tracks.head_pitch.keys = [Key(0.0, 0.0), Key(4.0, 3.0), Key(4.6, -4.0), Key(5.4, 0.0)]
    tracks.head_roll.keys = [Key(0.0, 0.0), Key(9.0, 4.0), Key(12.0, 0.0)]
    tracks.emotion = [EmotionKey(0.0, "neutral", 0.0), EmotionKey(8.2, "neutral", 0.0),
                      EmotionKey(9.0, "happy", 0.6)]
    tracks.blinks = sorted(tracks.blinks + [Blink(t=12.6, duration=0.25, source="user")],
                           key=lambda b: b.t)
    save_project(project, path)


if __name__ == "__main__":
    status = main(["init", str(SAMPLE_PORTRAIT), str(SAMPLE_SPEECH), "-o", str(SAMPLE_PROJECT)])
    if status:
        raise SystemExit(status)
    direct(SAMPLE_PROJECT)
