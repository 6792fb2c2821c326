"""The render queue's speed on this machine: many short jobs, and one long clip on Ray.

1. 8 short jobs (3 s of speech, 256 px): one `studio render` after another, as a script would
   run them, against one `studio batch` (processes over the cores). Target: 1.7x on 2 cores.
2. One long clip (52 s, 256 px) chunked on a Ray instance already running here (as a cluster
   would be; its start is printed apart, and its workers are as fresh as a new batch's), 10 s
   chunks, against two baselines measured in the same run: one `studio render` pinned to one
   core (the issue's "today": one render on one core), and one `studio render` as it is now,
   rendering on every core with threads beside its encoder. Target: 1.6x on 2 cores.
3. The time Ray adds per job: the 8 short jobs on Ray against the same 8 in processes.
Run: nice .venv/bin/python bench/bench_batch.py   (numbers vary on a shared machine; each line
gives the load average when it was measured)
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.batch.jobs import Job  # noqa: E402
from studio.batch.runner import run_batch  # noqa: E402
from studio.doc.project import Project  # noqa: E402
from studio.resources import SAMPLE_PORTRAIT, SAMPLE_SPEECH  # noqa: E402

PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"
SIZE, JOBS, LONG_REPEATS, CHUNK_SECONDS = 256, 8, 4, 10.0
BATCH_TARGET, CHUNKED_TARGET = 1.7, 1.6
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def studio(*args: str, core: int | None = None) -> float:
    """Seconds one studio command takes; `core`: pinned to that core (with its encoder)."""
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio.cli", *args], env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin)
    return time.perf_counter() - start


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def flags(seed: int) -> list[str]:
    return ["--size", str(SIZE), "--lipsync", "signal", "--seed", str(seed)]


def long_voice(folder: Path) -> Path:
    """The sample speech said LONG_REPEATS times over: a long clip from real speech."""
    with wave.open(str(SAMPLE_SPEECH)) as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    path = folder / "long.wav"
    with wave.open(str(path), "wb") as target:
        target.setparams(params)
        target.writeframes(frames * LONG_REPEATS)
    return path


def short_jobs(outdir: Path) -> list[Job]:
    return [Job(f"{n}.mp4", outdir / f"{n}.mp4",
                Project(portrait=str(SAMPLE_PORTRAIT), audio=str(PHRASE), width=SIZE,
                        height=SIZE, lipsync="signal", seed=n)) for n in range(JOBS)]


def timed_batch(jobs: list[Job], **options) -> float:
    start = time.perf_counter()
    results = run_batch(jobs, stream=io.StringIO(), **options)
    assert all(result.ok for result in results), results
    return time.perf_counter() - start


def main() -> None:
    import ray

    from studio.batch.ray_farm import workers_find_the_studio

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        folder = Path(scratch)
        # 1. short jobs: a script of `studio render`s against one `studio batch`
        sequential = sum(studio("render", str(SAMPLE_PORTRAIT), str(PHRASE), "-o",
                                str(folder / "seq" / f"{n}.mp4"), "-q", *flags(n))
                         for n in range(JOBS))
        jobs_csv = folder / "jobs.csv"
        jobs_csv.write_text("portrait,audio,output,size,lipsync,seed\n" + "".join(
            f"{SAMPLE_PORTRAIT},{PHRASE},{n}.mp4,{SIZE},signal,{n}\n" for n in range(JOBS)))
        batch = studio("batch", str(jobs_csv), "-o", str(folder / "batch"))
        print(f"{JOBS} short jobs ({SIZE} px, 3 s): sequential {sequential:.1f} s, studio batch "
              f"{batch:.1f} s: {sequential / batch:.2f}x (target {BATCH_TARGET}x); {load()}")

        # 2. a long clip: one render (on one core, on every core) against chunks on Ray
        # (already running, as a cluster is)
        voice = long_voice(folder)
        render = ["render", str(SAMPLE_PORTRAIT), str(voice), "-q", *flags(0), "-o"]
        one_core = studio(*render, str(folder / "one-core.mp4"), core=0)
        print(f"long clip: one studio render on one core {one_core:.1f} s; {load()}")
        single = studio(*render, str(folder / "single.mp4"))
        print(f"long clip: one studio render on every core {single:.1f} s; {load()}")
        workers_find_the_studio()
        start = time.perf_counter()
        ray.init(address="local", include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
        ray_start = time.perf_counter() - start
        long_job = Job("long.mp4", folder / "chunked" / "long.mp4",
                       Project(portrait=str(SAMPLE_PORTRAIT), audio=str(voice), width=SIZE,
                               height=SIZE, lipsync="signal", seed=0))
        chunked = timed_batch([long_job], ray="auto", chunk_seconds=CHUNK_SECONDS)
        seconds = LONG_REPEATS * 13
        print(f"long clip ({seconds} s, {SIZE} px) chunked on Ray {chunked:.1f} s ({load()}; "
              f"Ray's own start, not counted: {ray_start:.1f} s):\n"
              f"  against one render on one core:    {one_core / chunked:.2f}x (target "
              f"{CHUNKED_TARGET}x)\n"
              f"  against one render on every core:  {single / chunked:.2f}x (target "
              f"{CHUNKED_TARGET}x)")

        # 3. what Ray adds per job, on the same jobs in the same process; a task's round trip
        nothing = ray.remote(lambda: None)
        ray.get(nothing.remote())
        start = time.perf_counter()
        ray.get([nothing.remote() for _ in range(100)])
        round_trip = (time.perf_counter() - start) / 100
        local = timed_batch(short_jobs(folder / "local"))
        on_ray = timed_batch(short_jobs(folder / "ray"), ray="auto")
        print(f"{JOBS} short jobs in this process's batch: processes {local:.1f} s, Ray "
              f"{on_ray:.1f} s: Ray adds {(on_ray - local) / JOBS:+.2f} s a job (a task's "
              f"round trip alone: {1000 * round_trip:.1f} ms); {load()}")
        ray.shutdown()


if __name__ == "__main__":
    main()
