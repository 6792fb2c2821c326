"""`studio batch --ray` on a real Ray instance on this machine (loopback, 2 CPUs): several jobs
with a bad one among them, a long clip split into chunks that equals one render of it frame for
frame, and a worker killed in the middle of a chunk, which Ray runs again."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batch_jobs import PORTRAIT, SIZE, SPEECH, job, listing, write_csv, write_json
from media_probe import decode_audio, decode_video, describe, frame_count
from studio.batch.display import BatchDisplay
from studio.batch.jobs import Job
from studio.cli import main as studio_main
from studio.doc.project import Project

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session():
    from studio.batch.ray_farm import workers_find_the_studio

    workers_find_the_studio()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR, object_store_memory=128 * 2**20)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def single_renders(tmp_path_factory) -> dict[str, Path]:
    """The 13-second sample rendered by one `studio render` per format: what chunks must equal."""
    folder = tmp_path_factory.mktemp("single")
    renders = {}
    for suffix in (".mov", ".mp4"):
        renders[suffix] = folder / f"single{suffix}"
        assert studio_main(["render", str(PORTRAIT), str(SPEECH), "-o", str(renders[suffix]),
                            "--size", str(SIZE), "--lipsync", "signal", "-q"]) == 0
    return renders


def batch_on_ray(jobs: Path, outdir: Path, *flags: str) -> int:
    return studio_main(["batch", str(jobs), "-o", str(outdir), "--ray", "auto", *flags])


def test_a_batch_on_ray_reports_a_bad_job_while_the_good_ones_finish(ray_session, tmp_path,
                                                                    capsys):
    jobs = write_csv(tmp_path / "jobs.csv", [
        job("a.mp4", seed=1), job("mov/b.mov", seed=2),
        job("bad.mp4", audio=tmp_path / "missing.wav"), job("frames", seed=3)])
    out = tmp_path / "out"
    assert batch_on_ray(jobs, out) == 1
    err = capsys.readouterr().err
    assert re.search(r"bad\.mp4 +failed: voice clip missing\.wav: no such file", err)
    assert "1 of 4 jobs failed" in err
    frames = sorted(p.name for p in (out / "frames").iterdir())
    assert listing(out) == ["a.mp4", "frames", *[f"frames/{f}" for f in frames], "mov",
                            "mov/b.mov"]
    assert frame_count(out / "a.mp4") == frame_count(out / "mov" / "b.mov") == len(frames) > 70
    assert "Audio: aac" in describe(out / "a.mp4")

    # a second run skips what is done and still reports the bad job
    stamps = {p: p.stat().st_mtime_ns for p in (out / "a.mp4", out / "mov" / "b.mov")}
    assert batch_on_ray(jobs, out) == 1
    assert re.search(r"a\.mp4 +skipped: already rendered", capsys.readouterr().err)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_a_long_clip_in_chunks_equals_one_render_of_it(ray_session, single_renders, tmp_path,
                                                       capsys):
    jobs = write_json(tmp_path / "jobs.json", [job("long.mov", audio=SPEECH),
                                               job("long.mp4", audio=SPEECH)])
    out = tmp_path / "out"
    assert batch_on_ray(jobs, out, "--chunk-seconds", "4") == 0  # 13 s: 3 chunks each
    assert re.search(r"long\.mov +50%", capsys.readouterr().err)  # progress, chunk by chunk
    assert listing(out) == ["long.mov", "long.mp4"]

    # ProRes codes every frame alone: the joined chunks are the single render, bit for bit
    truth = decode_video(single_renders[".mov"], "rgba")
    assert np.array_equal(decode_video(out / "long.mov", "rgba"), truth)
    assert np.array_equal(decode_audio(out / "long.mov"), decode_audio(single_renders[".mov"]))

    # H.264: the same frames, each at its own place, as close to the truth as one encode
    joined, single = decode_video(out / "long.mp4"), decode_video(single_renders[".mp4"])
    assert joined.shape == single.shape == truth[..., :3].shape
    assert psnr(joined, truth[..., :3]) > psnr(single, truth[..., :3]) - 1.0
    errors = np.abs(joined.astype(np.int16) - truth[..., :3]).mean(axis=(1, 2, 3))
    shifted = np.abs(joined[1:].astype(np.int16) - truth[:-1, ..., :3]).mean(axis=(1, 2, 3))
    assert errors[1:].mean() < shifted.mean()
    assert np.array_equal(decode_audio(out / "long.mp4"), decode_audio(single_renders[".mp4"]))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def chunk_workers() -> list[int]:
    """Ray workers running a chunk: Ray names a worker process after the task it runs."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(b"ray::render_chunk"):
            pids.append(int(entry))
    return pids


def test_a_worker_killed_mid_chunk_is_run_again_and_the_clip_is_whole(ray_session,
                                                                      single_renders,
                                                                      tmp_path):
    killed: list[int] = []
    done = threading.Event()

    def kill_one_chunk_worker() -> None:
        while not done.is_set() and not killed:
            for pid in chunk_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.002)

    killer = threading.Thread(target=kill_one_chunk_worker)
    killer.start()
    out = tmp_path / "out"
    try:
        status = batch_on_ray(write_json(tmp_path / "jobs.json", [job("long.mov", audio=SPEECH)]),
                              out, "--chunk-seconds", "2")
    finally:
        done.set()
        killer.join()
    assert killed, "no chunk was caught running"
    assert status == 0
    assert listing(out) == ["long.mov"]
    assert np.array_equal(decode_video(out / "long.mov", "rgba"),
                          decode_video(single_renders[".mov"], "rgba"))


class RecordingDisplay(BatchDisplay):
    """The batch's display, with every progress report kept."""

    def __init__(self, jobs) -> None:
        super().__init__(jobs, io.StringIO(), live=False)
        self.reports: list[tuple[int, int, int]] = []

    def progress(self, index: int, done: int, total: int, state: str = "rendering") -> None:
        self.reports.append((index, done, total))
        super().progress(index, done, total, state)


def test_chunks_report_their_frames_as_they_render(ray_session, tmp_path):
    from studio.batch.ray_farm import run_on_ray

    # the 13-second clip at 384 px in two chunks, one per CPU, each rendering for a second or
    # more: several reports (one each REPORT_EVERY) and board readings (5 a second) each
    project = Project(portrait=str(PORTRAIT), audio=str(SPEECH), width=384, height=384,
                      lipsync="signal")
    jobs = [Job("long.mp4", tmp_path / "long.mp4", project)]
    display = RecordingDisplay(jobs)
    [result] = run_on_ray(jobs, display, "auto", chunk_seconds=6.0)
    assert result.ok, result
    total = frame_count(tmp_path / "long.mp4")
    assert {t for _, _, t in display.reports} == {total}
    done = [d for _, d, _ in display.reports]
    assert done[0] == 0 and done[-1] == total
    half = total // 2  # chunk_ranges shares the frames out evenly
    between = [d for d in done if d not in (0, half, total - half, total)]
    assert between, f"only whole chunks were reported: {sorted(set(done))}"


def test_a_task_reports_to_the_board_at_most_every_quarter_second(ray_session):
    from studio.batch.ray_progress import REPORT_EVERY, ChunkProgress, ProgressBoard, board

    assert board() is board(), "one board for the batches of a process"
    ours = ProgressBoard.remote()
    try:
        progress = ChunkProgress(ours, "a", 3, 1)
        progress(1, 100)  # reported: the first
        progress(2, 100)  # too soon: dropped
        assert ray.get(ours.read.remote("a")) == {(3, 1): 1}
        progress(100, 100)  # the last frame is always reported
        assert ray.get(ours.read.remote("a")) == {(3, 1): 100}
        time.sleep(REPORT_EVERY)
        progress(5, 100)  # a chunk run again after its worker died starts over
        ChunkProgress(ours, "a", 4, 0)(7, 9)
        ChunkProgress(ours, "b", 3, 1)(2, 9)  # another batch's job 3
        assert ray.get(ours.read.remote("a")) == {(3, 1): 5, (4, 0): 7}
        ours.forget.remote("a", 3)
        assert ray.get(ours.read.remote("a")) == {(4, 0): 7}
        ours.forget.remote("a")
        assert ray.get(ours.read.remote("a")) == {}
        assert ray.get(ours.read.remote("b")) == {(3, 1): 2}
    finally:
        ray.kill(ours)


def test_a_long_clip_that_cannot_be_analysed_fails_alone(ray_session, single_renders, tmp_path,
                                                         capsys):
    # a long clip is analysed where the batch runs: its error is its job's one line
    wall = tmp_path / "wall.png"
    Image.fromarray(np.full((256, 256, 3), 180, np.uint8)).save(wall)
    jobs = write_json(tmp_path / "jobs.json", [job("wall.mp4", audio=SPEECH, portrait=str(wall)),
                                               job("good.mp4", audio=SPEECH)])
    out = tmp_path / "out"
    assert batch_on_ray(jobs, out, "--chunk-seconds", "4") == 1
    err = capsys.readouterr().err
    assert re.search(r"wall\.mp4 +failed: no face found in wall\.png", err)
    assert listing(out) == ["good.mp4"]
    assert frame_count(out / "good.mp4") == frame_count(single_renders[".mp4"])


JOIN_THEN_LOCAL = """
import logging, os, sys
if sys.argv[1] == "imported":
    import ray
from studio.batch.ray_farm import connect
from studio.doc.errors import InputError
try:
    connect("127.0.0.1:1")
except InputError:
    pass
print(os.environ.get("RAY_AUTH_MODE"))
import ray
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False,
         logging_level=logging.ERROR)
print(ray.get(ray.remote(lambda: "ran").remote()))
"""


@pytest.mark.parametrize("ray_first, mode", [(False, "token"), (True, "None")])
def test_a_token_at_hand_turns_token_mode_on_only_before_ray_is_imported(tmp_path, ray_first,
                                                                        mode):
    # as `ray start` does: with a token and no RAY_AUTH_MODE, a batch joins in token mode;
    # once Ray has read its mode, changing it would break the local Ray started after
    env = {key: value for key, value in os.environ.items() if key != "RAY_AUTH_MODE"}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parent.parent), HOME=str(tmp_path),
               RAY_AUTH_TOKEN="f" * 32)
    result = subprocess.run(
        [sys.executable, "-c", JOIN_THEN_LOCAL, "imported" if ray_first else "not"],
        env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [mode, "ran"]
