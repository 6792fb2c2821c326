"""`studio batch` on this machine: jobs in processes over the cores, a line per job and a total,
resumable, a failed job reported while the others finish, a bad jobs file refused with one line
(exit 2), a stopped batch leaving only finished outputs, and no Ray unless asked for."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_jobs import PHRASE, PORTRAIT, ROOT, SPEECH, job, listing, write_csv, write_json
from media_probe import describe, frame_count
from studio.cli import main as studio_main


def batch(jobs: Path, outdir: Path, *flags: str) -> int:
    return studio_main(["batch", str(jobs), "-o", str(outdir), *flags])


def test_jobs_render_in_parallel_and_a_rerun_skips_them(tmp_path, capsys):
    jobs = write_csv(tmp_path / "jobs.csv", [
        job("a.mp4", seed=1), job("b.mp4", seed=2, emotion="happy:0.5"),
        job("nested/c.mov", seed=3), job("d", seed=4, transparent="true")])
    out = tmp_path / "out"
    assert batch(jobs, out) == 0
    err = capsys.readouterr().err
    for name in ("a.mp4", "b.mp4", "nested/c.mov", "d"):
        assert re.search(rf"^\[\d/4\] {re.escape(name)} +done in \d+\.\d s$", err, re.M), err
    assert re.search(r"^total  4/4 jobs: 4 done  \d+ s$", err, re.M)
    assert frame_count(out / "a.mp4") == frame_count(out / "nested" / "c.mov") == 77
    assert "Audio: aac" in describe(out / "b.mp4")
    assert len(list((out / "d").glob("frame_*.png"))) == 77
    assert "rgba" in describe(out / "d" / "frame_00000.png")  # transparent

    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*.mp4")}
    assert batch(jobs, out) == 0
    assert len(re.findall(r"skipped: already rendered", capsys.readouterr().err)) == 4
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps

    write_csv(jobs, [job("a.mp4", seed=1)])
    assert batch(jobs, out, "--force") == 0
    assert (out / "a.mp4").stat().st_mtime_ns > stamps[out / "a.mp4"]


def test_a_failed_job_is_one_line_and_the_others_finish(tmp_path, capsys):
    jobs = write_json(tmp_path / "jobs.json", [
        job("good.mp4"),
        job("no-voice.mp4", audio=tmp_path / "missing.wav"),
        {"project": "nowhere.json", "output": "no-project.mp4"},
        job("not-a-photo.mp4", portrait=str(PHRASE)),
    ])
    out = tmp_path / "out"
    assert batch(jobs, out, "-j", "2") == 1
    err = capsys.readouterr().err
    lines = {name: line for line in err.splitlines()
             for name in ("good.mp4", "no-voice.mp4", "no-project.mp4", "not-a-photo.mp4")
             if line.startswith("[") and f"] {name} " in line}
    assert "done in" in lines["good.mp4"]
    assert "failed: voice clip missing.wav: no such file" in lines["no-voice.mp4"]
    assert "failed: " in lines["no-project.mp4"] and "nowhere.json" in lines["no-project.mp4"]
    assert "failed: " in lines["not-a-photo.mp4"]
    assert "studio: 3 of 4 jobs failed" in err
    assert listing(out) == ["good.mp4"]  # and nothing partial, hidden or not


BAD_FILES = [
    ("jobs.json", "[{\"portrait\": 1", "jobs.json line 1: not valid JSON"),
    ("jobs.json", "{\"a\": 1}", "jobs.json: give a list of jobs"),
    ("jobs.json", "[]", "jobs.json: no jobs in it"),
    ("jobs.json", "[{\"portrait\": \"p.jpg\", \"output\": \"a.mp4\"}]",
     "jobs.json job 1: give a project, or a portrait and an audio file"),
    ("jobs.csv", "project,output\na.json,x.mp4\nb.json,x.mp4\n",
     "jobs.csv line 3: output x.mp4 is also the output of jobs.csv line 2"),
    ("jobs.csv", "project,output\na.json,../x.mp4\n",
     "jobs.csv line 2: output ../x.mp4 must be a name inside the output folder"),
    ("jobs.csv", "project,output\na.json,x.avi\n", "jobs.csv line 2: cannot export x.avi"),
    ("jobs.csv", "project,output,size\na.json,x.mp4,63\n",
     "jobs.csv line 2: --size 63: use an even size"),
    ("jobs.csv", "project,output,colour\na.json,x.mp4,red\n",
     "jobs.csv line 2: unrecognized arguments: --colour=red"),
    ("jobs.csv", "project,output\na.json\n", "jobs.csv line 2: 1 values for 2 columns"),
    ("jobs.csv", "project,output,cues\na.json,x.mp4,x.tsv\n",
     "jobs.csv line 2: a batch does not write cues"),
    ("jobs.txt", "", "jobs.txt: give a jobs file ending in .json or .csv"),
]


@pytest.mark.parametrize("name,text,message", BAD_FILES, ids=[m for _, _, m in BAD_FILES])
def test_a_bad_jobs_file_is_one_line_and_exit_2(tmp_path, capsys, name, text, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert batch(tmp_path / name, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"studio: error: {message}"), err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_missing_jobs_file_and_bad_flags(tmp_path, capsys):
    assert batch(tmp_path / "none.csv", tmp_path / "out") == 2
    assert "none.csv: no such jobs file" in capsys.readouterr().err
    jobs = write_json(tmp_path / "jobs.json", [job("a.mp4")])
    assert batch(jobs, tmp_path / "out", "-j", "0") == 2
    assert "--processes 0: use 1 or more" in capsys.readouterr().err
    assert batch(jobs, tmp_path / "out", "--ray", "127.0.0.1:1") == 2
    assert "--ray 127.0.0.1:1: no Ray cluster answers there" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _studio(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "studio.cli", *args], env=env,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_stopped_batch_keeps_finished_outputs_only_and_resumes(tmp_path):
    jobs = write_json(tmp_path / "jobs.json",
                      [job(f"{n}.mp4", audio=SPEECH, seed=n) for n in range(4)])
    out = tmp_path / "out"
    process = _studio("batch", str(jobs), "-o", str(out), "-j", "2")
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.part.mp4")) and time.monotonic() < deadline:
        time.sleep(0.02)  # stop it while jobs are writing
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "batch stopped; finished outputs are kept" in err
    kept = listing(out)
    assert all(not name.startswith(".") for name in kept), kept  # no partial file
    for name in kept:
        assert frame_count(out / name) == 330  # whole

    assert batch(jobs, out) == 0
    assert listing(out) == [f"{n}.mp4" for n in range(4)]


def test_ray_is_not_imported_by_the_studio_or_a_local_batch(tmp_path):
    jobs = write_json(tmp_path / "jobs.json", [job("a.mp4")])
    check = ("import sys; from studio.cli import main; import studio.ui.app; "
             f"code = main(['batch', {str(jobs)!r}, '-o', {str(tmp_path / 'out')!r}]); "
             "assert code == 0, code; assert 'ray' not in sys.modules, 'ray was imported'")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


class _KillsItsProcess:
    """A job's project that ends the process that unpickles it: a crash in native code."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_job_that_kills_its_process_fails_alone(tmp_path):
    from studio.batch.display import BatchDisplay
    from studio.batch.jobs import Job, Status
    from studio.batch.local import run_local
    from studio.doc.project import Project

    good = Job("good.mp4", tmp_path / "good.mp4",
               Project(portrait=str(PORTRAIT), audio=str(PHRASE), width=64, height=64,
                       lipsync="signal"))
    crash = Job("crash.mp4", tmp_path / "crash.mp4", _KillsItsProcess())
    jobs = [crash, good]
    results = run_local(jobs, BatchDisplay(jobs, io.StringIO()), processes=2)
    assert results[0].status is Status.FAILED
    assert results[0].reason == "the render process died (2 times)"
    assert results[1].status is Status.DONE
    assert listing(tmp_path) == ["good.mp4"]
