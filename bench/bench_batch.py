"""The render queue's speed on this machine: many short jobs, and one long clip on Ray.

1. 8 short jobs (3 s of speech, 256 px): one `studio render` after another, as a script would
   run them, against one `studio batch` (processes over the cores). Target: 1.7x on 2 cores.
2. One long clip (52 s, 256 px): one `studio render` against `studio batch --ray` with the clip
   in 10-second chunks on a Ray instance already running here (as a cluster would be; its start
   is printed apart). Target: 1.6x on 2 cores.
3. The time Ray adds per job: the 8 short jobs on Ray against the same 8 in processes.
Run: .venv/bin/python bench/bench_batch.py   (numbers vary on a shared machine)
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


def studio(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio.cli", *args], env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


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
              f"{batch:.1f} s: {sequential / batch:.2f}x (target {BATCH_TARGET}x)")

        # 2. a long clip: one render against chunks on Ray (already running, as a cluster is)
        voice = long_voice(folder)
        single = studio("render", str(SAMPLE_PORTRAIT), str(voice), "-o",
                        str(folder / "single.mp4"), "-q", *flags(0))
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
        print(f"long clip ({seconds} s, {SIZE} px): one studio render {single:.1f} s, chunked on "
              f"Ray {chunked:.1f} s: {single / chunked:.2f}x (target {CHUNKED_TARGET}x); "
              f"Ray's own start, not counted: {ray_start:.1f} s")

        # 3. what Ray adds per job, on the same jobs in the same process
        local = timed_batch(short_jobs(folder / "local"))
        on_ray = timed_batch(short_jobs(folder / "ray"), ray="auto")
        print(f"{JOBS} short jobs in this process's batch: processes {local:.1f} s, Ray "
              f"{on_ray:.1f} s: Ray adds {(on_ray - local) / JOBS:+.2f} s a job")
        ray.shutdown()


if __name__ == "__main__":
    main()
