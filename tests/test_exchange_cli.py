"""`studio export-cues` and `studio import-cues` as a person runs them (a child process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from exchange_helpers import SAMPLE
from studio.doc.io import load_project
from studio.exchange import rhubarb

ROOT = Path(__file__).resolve().parents[1]


def studio(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=env)


def _project(tmp_path: Path) -> Path:
    for name in ("sample-project.json", "speech.wav", "portrait.jpg"):
        shutil.copy(SAMPLE.parent / name, tmp_path / name)
    return tmp_path / "sample-project.json"


def test_export_every_format_then_import_the_cues(tmp_path):
    project = _project(tmp_path)
    outs = [tmp_path / f"out/talk.{s}" for s in ("tsv", "xml", "dat", "csv", "motion3.json")]
    outs.append(tmp_path / "out/cues.json")
    args = [a for o in outs for a in ("-o", o)]
    done = studio("export-cues", project, *args, "--dat-fps", "30")
    assert done.returncode == 0, done.stderr
    assert all(o.is_file() for o in outs) and not list((tmp_path / "out").glob(".*"))
    cues = rhubarb.parse_tsv(outs[0].read_text())
    assert rhubarb.parse_json(outs[-1].read_text()) == cues == rhubarb.parse_xml(outs[1].read_text())
    assert outs[2].read_text().startswith("MohoSwitch1\n1 ")
    # the cues back as overrides: every segment the user's, and the same cues out again
    edited = tmp_path / "edited.json"
    done = studio("import-cues", project, outs[0], "-o", edited)
    assert done.returncode == 0 and "mouth cues as viseme overrides" in done.stderr, done.stderr
    visemes = load_project(edited).tracks.visemes
    assert {s.source for s in visemes} == {"user", "auto"}
    again = tmp_path / "again.tsv"
    assert studio("export-cues", edited, "-o", again).returncode == 0
    assert again.read_text() == outs[0].read_text()
    # a capture onto the project itself
    done = studio("import-cues", project, outs[3], "--offset", "0.5")
    assert done.returncode == 0, done.stderr
    captured = load_project(project)
    # the take starts at 0.5 s; the project's own key at 0 s, before it, stays
    assert [k.t for k in captured.tracks.head_yaw.keys[:2]] == [0.0, 0.5]
    assert all(b.source == "user" for b in captured.tracks.blinks)


def test_bad_requests_exit_2_in_one_line(tmp_path):
    project = _project(tmp_path)
    for args, says in ((("-o", tmp_path / "x.mp4"), "say which format"),
                       (("-o", tmp_path / "x.dat", "--dat-fps", "12"), "between 24 and 100"),
                       (("-o", tmp_path / "x.tsv", "--extended-shapes", "Q"), "subset of GHX")):
        done = studio("export-cues", project, *args)
        assert done.returncode == 2 and says in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    (tmp_path / "bad.tsv").write_text("0.00\tZ\n")
    done = studio("import-cues", project, tmp_path / "bad.tsv")
    assert done.returncode == 2 and "bad.tsv: line 1" in done.stderr
    done = studio("import-cues", project, tmp_path / "x.motion3.json")
    assert done.returncode == 2 and "cannot be imported" in done.stderr


def test_render_also_writes_cues_and_curves_of_the_frames_it_rendered(tmp_path):
    project = _project(tmp_path)
    video, cues, curves = tmp_path / "talk.mp4", tmp_path / "cues/talk.tsv", tmp_path / "talk.csv"
    done = studio("render", "--project", project, "-o", video, "--size", "64", "--quiet",
                  "--cues", cues, "--cues", curves)
    assert done.returncode == 0, done.stderr
    assert video.stat().st_size > 0 and cues.is_file() and curves.is_file()
    assert f"wrote {cues}" in done.stderr and f"wrote {curves}" in done.stderr
    # the same cues and curves as export-cues of the same project
    alone = [tmp_path / "alone.tsv", tmp_path / "alone.csv"]
    assert studio("export-cues", project, "-o", alone[0], "-o", alone[1]).returncode == 0
    assert rhubarb.parse_tsv(cues.read_text()) == rhubarb.parse_tsv(alone[0].read_text())
    assert curves.read_text() == alone[1].read_text()


def test_render_refuses_a_bad_cue_file_before_rendering(tmp_path):
    project = _project(tmp_path)
    video = tmp_path / "talk.mp4"
    done = studio("render", "--project", project, "-o", video, "--cues", tmp_path / "talk.mp3")
    assert done.returncode == 2 and "say which format" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not video.exists()
