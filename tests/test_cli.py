"""The command line as a user drives it: real portrait, real speech, real files decoded back."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.analysis.audio import probe_audio
from studio.cli import main
from studio.doc.io import load_project
from media_probe import describe, frame_count

ROOT = Path(__file__).resolve().parent.parent
PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "analysis-cache"
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(cache))
    monkeypatch.setenv("STUDIO_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))


def _one_line_error(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("studio: error: ")
    return lines[0]


def test_render_makes_a_talking_clip_with_the_voice(portrait_path, tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    code = main(["render", str(portrait_path), str(PHRASE), "-o", str(out), "--size", "128",
                 "--fps", "20", "--quiet"])
    assert code == 0, capsys.readouterr().err
    duration = probe_audio(PHRASE).duration
    assert frame_count(out) == math.ceil(duration * 20)
    streams = describe(out)
    assert "Video: h264" in streams and "yuv420p" in streams and "128x128" in streams
    assert "Audio: aac" in streams


def test_init_writes_an_editable_project_that_renders(portrait_path, tmp_path, capsys):
    project_file = tmp_path / "talk.json"
    code = main(["init", str(portrait_path), str(PHRASE), "-o", str(project_file),
                 "--emotion", "happy:0.7", "--style", "energetic", "--seed", "3"])
    assert code == 0, capsys.readouterr().err
    data = json.loads(project_file.read_text())
    assert data["schema"] == 1
    project = load_project(project_file)
    assert project.portrait == str(portrait_path.absolute())
    assert project.tracks.visemes, "the automatic viseme track is filled in"
    assert project.tracks.emotion[0].emotion == "happy"
    assert project.style_preset == "energetic" and project.seed == 3
    assert project.duration == pytest.approx(probe_audio(PHRASE).duration, abs=0.01)

    # the flags override the project when rendering it
    out = tmp_path / "frames"
    code = main(["render", "--project", str(project_file), "-o", str(out), "--size", "96",
                 "--fps", "10", "--transparent", "--quiet"])
    assert code == 0, capsys.readouterr().err
    frames = sorted(out.glob("frame_*.png"))
    assert len(frames) == math.ceil(project.duration * 10)
    first = np.asarray(Image.open(frames[0]))
    assert first.shape == (96, 96, 4)
    assert first[..., 3].min() == 0 and first[..., 3].max() == 255, "person opaque, background clear"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["render", "missing.jpg", "{speech}", "-o", "{out}"], "missing.jpg"),
        (["render", "{speech}", "{speech}", "-o", "{out}"], "not an image"),
        (["render", "{portrait}", "{portrait}", "-o", "{out}"], "portrait.jpg"),
        (["render", "{portrait}", "{speech}", "-o", "{tmp}/clip.avi"], "clip.avi"),
        (["render", "{portrait}", "{speech}", "-o", "{out}", "--emotion", "smug:1"], "smug"),
        (["render", "{portrait}", "{speech}", "-o", "{out}", "--size", "4000"], "--size"),
        (["render", "{portrait}", "-o", "{out}"], "AUDIO"),
        (["render", "--project", "{tmp}/none.json", "-o", "{out}"], "none.json"),
        (["render", "{portrait}", "{speech}"], "-o"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args, expected, portrait_path, speech_path,
                                                 tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"an earlier export")
    filled = [a.format(speech=speech_path, portrait=portrait_path, out=out, tmp=tmp_path)
              for a in args]
    assert main(filled) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert expected in line
    assert out.read_bytes() == b"an earlier export", "a failed render never replaces the file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_no_face_is_refused_by_name(speech_path, tmp_path, capsys):
    wall = tmp_path / "wall.png"
    Image.fromarray(np.full((256, 256, 3), 180, np.uint8)).save(wall)
    assert main(["render", str(wall), str(speech_path), "-o", str(tmp_path / "x.mp4")]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "no face found in wall.png" in line
    assert not (tmp_path / "x.mp4").exists()


def test_internal_error_exits_1_with_a_log_file(portrait_path, tmp_path, capsys, monkeypatch):
    import studio.engine.pipeline as pipeline

    def broken(*_args, **_kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(pipeline, "prepare_renderer", broken)
    out = tmp_path / "clip.mp4"
    assert main(["render", str(portrait_path), str(PHRASE), "-o", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "internal error" in err and "renderer exploded" in err and "Traceback" not in err
    log = Path(err.split("details in ")[1])
    assert "Traceback" in log.read_text() and "renderer exploded" in log.read_text()
    assert not out.exists()


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("studio 0.")


def _render_child(portrait, audio, out, cwd, *extra):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "render", str(portrait), str(audio), "-o", str(out),
         *extra], stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def _wait_for_frames(process) -> None:
    seen = ""
    deadline = time.monotonic() + 120
    while "rendering" not in seen and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen += line
    assert "rendering" in seen, seen


def _encoders_writing(folder: Path) -> list[int]:
    """Live processes (ffmpeg) whose command line names a file in `folder`."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and str(folder) in cmdline and "ffmpeg" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("signum", "code", "said"), [
    (signal.SIGINT, 130, "cancelled"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
    (signal.SIGHUP, 129, "stopped by SIGHUP"),
])
def test_signals_stop_cleanly_and_leave_nothing(portrait_path, speech_path, tmp_path, signum,
                                                code, said):
    """Ctrl-C, SIGTERM (kill, systemd, a CI runner's timeout) and SIGHUP (the terminal closed)
    mid-render: no partial file, the previous output untouched, ffmpeg gone too."""
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"an earlier export")
    process = _render_child(portrait_path, speech_path, out, tmp_path, "--size", "256")
    _wait_for_frames(process)
    process.send_signal(signum)
    err = process.communicate(timeout=60)[1]
    assert process.returncode == code, err
    assert said in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"], "no partial output left"
    assert out.read_bytes() == b"an earlier export"
    assert _encoders_writing(tmp_path) == []


@pytest.mark.timeout(240)
def test_after_a_sigkill_ffmpeg_dies_too_and_the_next_render_removes_the_stale_part(
        portrait_path, speech_path, tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    process = _render_child(portrait_path, speech_path, out, tmp_path, "--size", "256")
    _wait_for_frames(process)
    process.kill()
    process.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while _encoders_writing(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _encoders_writing(tmp_path) == [], "ffmpeg must die with the studio"
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and stale[0].startswith(f".clip.mp4.{process.pid}-"), stale
    # Temporaries that are not this render's to remove: another output's, and one whose
    # writer is still running.
    other = tmp_path / f".other.mp4.{process.pid}-0badcafe.part.mp4"
    other.write_bytes(b"another export's")
    with subprocess.Popen(["sleep", "60"]) as alive:
        running = tmp_path / f".clip.mp4.{alive.pid}-00c0ffee.part.mp4"
        running.write_bytes(b"still being written")
        assert main(["render", str(portrait_path), str(PHRASE), "-o", str(out), "--size", "64",
                     "--fps", "5", "--quiet"]) == 0, capsys.readouterr().err
        alive.kill()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [other.name, running.name, "clip.mp4"])


def test_several_faces_animates_the_largest_and_says_so(portrait_path, tmp_path, capsys):
    photo = Image.open(portrait_path).convert("RGB")
    small = photo.resize((384, 384))
    group = Image.new("RGB", (896, 512), (200, 200, 200))
    group.paste(photo, (0, 0))
    group.paste(small, (512, 128))
    path = tmp_path / "group.png"
    group.save(path)
    out = tmp_path / "group.mp4"
    assert main(["render", str(path), str(PHRASE), "-o", str(out), "--size", "96",
                 "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "faces in group.png; animating the largest" in err
    assert out.is_file()


def test_render_prints_only_its_own_lines(portrait_path, tmp_path):
    """MediaPipe's native warnings must not bury the studio's messages on the terminal."""
    env = dict(os.environ, STUDIO_CACHE_DIR=str(tmp_path / "fresh-cache"))
    result = subprocess.run(
        [sys.executable, "-m", "studio.cli", "render", str(portrait_path), str(PHRASE),
         "-o", str(tmp_path / "clip.mp4"), "--size", "96"],
        capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith(("rendering [", "wrote ")) for line in lines), lines


def test_init_writes_the_automatic_blinks_and_deleting_one_removes_it(portrait_path,
                                                                      speech_path, tmp_path):
    from studio.engine import analyze, controls_for

    project_file = tmp_path / "talk.json"
    assert main(["init", str(portrait_path), str(speech_path), "-o", str(project_file),
                 "--seed", "5"]) == 0
    data = json.loads(project_file.read_text())
    stored = data["tracks"]["blinks"]
    assert len(stored) >= 3 and all(b["source"] == "auto" for b in stored)
    project = load_project(project_file)
    analysis = analyze(project)
    before = controls_for(project, analysis).coefficient("eyeBlinkLeft")
    closed = np.flatnonzero(before == 1.0)
    for blink in stored:
        assert round(blink["t"] * project.fps) in closed

    # The artist deletes the second automatic blink by hand; the other ones stay as they were.
    gone = stored.pop(1)
    project_file.write_text(json.dumps(data))
    after = controls_for(load_project(project_file), analysis).coefficient("eyeBlinkLeft")
    times = np.arange(len(before)) / project.fps
    near = np.abs(times - gone["t"]) <= gone["duration"]
    assert before[near].max() == 1.0 and np.all(after[near] == 0.0)
    np.testing.assert_array_equal(after[~near], before[~near])


def test_a_new_seed_on_the_command_line_redraws_the_automatic_blinks(tmp_path):
    from studio.cli import build_parser, project_from_args
    from studio.doc.io import save_project
    from studio.doc.project import Blink, Project

    project = Project(portrait=str(tmp_path / "p.jpg"), audio=str(tmp_path / "a.wav"))
    project.tracks.blinks = [Blink(1.0, 0.2, "user"), Blink(2.0, 0.2, "auto")]
    path = tmp_path / "p.json"
    save_project(project, path)
    kept = project_from_args(build_parser().parse_args(
        ["render", "--project", str(path), "-o", "x.mp4"]))
    assert [b.source for b in kept.tracks.blinks] == ["user", "auto"]
    reseeded = project_from_args(build_parser().parse_args(
        ["render", "--project", str(path), "-o", "x.mp4", "--seed", "9"]))
    assert [(b.t, b.source) for b in reseeded.tracks.blinks] == [(1.0, "user")]


def test_diffusion_renderer_from_the_command_line(portrait_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDIO_MODELS", str(tmp_path / "models"))
    out = tmp_path / "diffused.mp4"
    code = main(["render", str(portrait_path), str(PHRASE), "-o", str(out), "--renderer",
                 "diffusion", "--model", "tiny", "--size", "64", "--fps", "5", "--steps", "2",
                 "--strength", "0.5", "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert frame_count(out) == math.ceil(probe_audio(PHRASE).duration * 5)
    assert "64x64" in describe(out)


def test_diffusion_with_missing_weights_names_what_is_missing(portrait_path, tmp_path, capsys):
    models = tmp_path / "models"
    models.mkdir()
    code = main(["render", str(portrait_path), str(PHRASE), "-o", str(tmp_path / "x.mp4"),
                 "--renderer", "diffusion", "--model", "sd15-mediapipe-face", "--models",
                 str(models)])
    assert code == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "u-net" in line.lower() and "controlnet" in line.lower()  # the parts missing
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("args, expected", [
    (["render", "{portrait}", "{speech}", "-o", "{out}", "--seed", "-1"],
     "--seed -1: use a seed from 0 to 9223372036854775807"),
    (["init", "{portrait}", "{speech}", "-o", "{tmp}/talk.json", "--seed",
      "1180591620717411303424"], "--seed 1180591620717411303424: use a seed from 0 to"),
    (["render", "{portrait}", "{speech}", "-o", "{out}", "--seed", "3.0"], "--seed"),
    (["render", "{portrait}", "{speech}", "-o", "{out}", "--renderer", "diffusion", "--model",
      "../../x"], "--model ../../x: unknown model; use one of"),
    (["render", "/dev/zero", "{speech}", "-o", "{out}"],
     "portrait /dev/zero: is a character device, not a file; give a photo"),
    (["render", "{portrait}", "/dev/zero", "-o", "{out}"],
     "voice clip /dev/zero: is a character device, not a file; give an audio file"),
    (["render", "{tmp}/fifo", "{speech}", "-o", "{out}"],
     "portrait {tmp}/fifo: is a named pipe (FIFO), not a file"),
    (["render", "{portrait}", "{tmp}/fifo", "-o", "{out}"],
     "voice clip {tmp}/fifo: is a named pipe (FIFO), not a file"),
    (["render", "{portrait}", "{tmp}", "-o", "{out}"], "voice clip {tmp}: is a folder"),
    (["render", "--project", "/dev/zero", "-o", "{out}"],
     "zero: /dev/zero is a character device, not a project file"),
    (["render", "--project", "{tmp}/fifo", "-o", "{out}"],
     "fifo: {tmp}/fifo is a named pipe (FIFO), not a project file"),
])
@pytest.mark.timeout(60)
def test_hostile_inputs_are_refused_at_the_door(args, expected, portrait_path, speech_path,
                                                 tmp_path, capsys):
    """Seeds out of range, model paths, devices and pipes: one line, exit 2, nothing written,
    and no read that never ends."""
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"an earlier export")
    os.mkfifo(tmp_path / "fifo")
    filled = [a.format(speech=speech_path, portrait=portrait_path, out=out, tmp=tmp_path)
              for a in args]
    assert main(filled) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert expected.format(tmp=tmp_path) in line
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "fifo"]


def test_crash_logs_never_overwrite_each_other(portrait_path, tmp_path, capsys, monkeypatch):
    import studio.engine.pipeline as pipeline

    def broken(*_args, **_kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(pipeline, "prepare_renderer", broken)
    monkeypatch.setattr(time, "strftime", lambda *_: "20250101-120000")  # one second
    logs = []
    for _ in range(2):
        assert main(["render", str(portrait_path), str(PHRASE), "-o",
                     str(tmp_path / "clip.mp4"), "--quiet"]) == 1
        logs.append(Path(capsys.readouterr().err.strip().split("details in ")[1]))
    assert logs[0] != logs[1] and all("renderer exploded" in p.read_text() for p in logs)


@pytest.fixture
def small_disk(tmp_path):
    """A 300 KB file system: room for the start of a clip, not for all of it."""
    folder = tmp_path / "small"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing(portrait_path, speech_path, small_disk,
                                                    capsys):
    out = small_disk / "clip.mp4"
    out.write_bytes(b"an earlier export")
    assert main(["render", str(portrait_path), str(speech_path), "-o", str(out), "--size", "256",
                 "--quiet"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert line.startswith("studio: error: disk full writing clip.mp4")
    assert sorted(p.name for p in small_disk.iterdir()) == ["clip.mp4"]
    assert out.read_bytes() == b"an earlier export"


def test_a_transcript_that_is_not_a_regular_file_is_refused(tmp_path):
    from studio.analysis.speech import transcript_text
    from studio.doc.errors import InputError

    fifo = tmp_path / "words.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a transcript"):
        transcript_text(tmp_path / "speech.wav", str(fifo))
