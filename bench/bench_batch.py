"""The render queue's speed on this machine: many short jobs, and one long clip on Ray.

1. 8 short jobs (3 s of speech, 256 px): one `studio render` after another, as a script would
   run them, against one `studio batch` (processes over the cores). Target: 1.7x on 2 cores.
2. One long clip (3.5 minutes of speech at the studio's default 512 px; --long-repeats and
   --long-size change it), `studio batch --ray ADDRESS` in chunks of the batch's default
   length (20 s; --chunk-seconds) on a Ray cluster
   already running here (`ray start --head`, as a farm would be; its start is printed apart),
   against two baselines: one `studio render` pinned to one core (the issue's "today": one
   render on one core) and one `studio render` as it is now, rendering on every core with
   threads beside its encoder. Every run is a command of its own, so the batch pays what a
   user's does: its start, its connection, fresh Ray workers (Ray starts worker processes for
   each driver). The same clip is also chunked from a driver that stays connected (this
   bench), whose workers have rendered a batch before: the steady state of a long-running
   queue. The four alternate ROUNDS times; the best of each is compared (the least disturbed
   by other work on the machine). Target: 1.6x on 2 cores. Each run's CPU time is printed too
   (the render's process and its children; for the chunks, the driver's and every Ray
   process's), which the load of a shared machine skews far less than wall time.
3. What Ray adds per job: the 8 short jobs with `studio batch --ray ADDRESS` against the same
   8 with `studio batch`, and a Ray task's round trip.
Run: nice .venv/bin/python bench/bench_batch.py [--only short|long] [--rounds 2]
(numbers vary on a shared machine; each line gives the load average when it was measured)
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.batch.runner import CHUNK_SECONDS  # noqa: E402
from studio.resources import SAMPLE_PORTRAIT, SAMPLE_SPEECH  # noqa: E402

PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"
SIZE, JOBS = 256, 8  # the short jobs
LONG_REPEATS, LONG_SIZE = 16, 512  # the long clip: the 13 s sample speech 16 times over
BATCH_TARGET, CHUNKED_TARGET = 1.7, 1.6
# the bench's own cluster: on loopback, without token authentication (Ray 2.60's `ray start`
# turns it on; docs/render-farm.md says how a farm uses it)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_AUTH_MODE": "disabled"}


def studio(*args: str, core: int | None = None) -> float:
    """Seconds one studio command takes; `core`: pinned to that core (with its encoder)."""
    return timed_studio(*args, core=core)[0]


def timed_studio(*args: str, core: int | None = None, ray_root: int | None = None
                 ) -> tuple[float, float]:
    """(seconds, CPU seconds) of one studio command and its children, and of the Ray
    processes under `ray_root` while it ran."""
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    with CpuMeter(ray_root, self_too=False) as meter:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "studio.cli", *args], env=ENV, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin)
        seconds = time.perf_counter() - start
    return seconds, meter.seconds


class CpuMeter:
    """CPU seconds spent meanwhile by this process's children (and itself) and by the
    processes under `ray_root`: those are read every 0.1 s, as Ray's workers end with their
    driver and are not reaped where the time could be read (a process's last 0.1 s or one
    shorter than that may be missed)."""

    def __init__(self, ray_root: int | None, self_too: bool = True) -> None:
        self.root, self.self_too = ray_root, self_too
        self.seen: dict[int, int] = {}
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        import threading

        self.start = self._own()
        self.before = _tree_ticks(self.root) if self.root else {}
        self.done = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *_) -> None:
        self.done.set()
        self.reader.join()
        ticks = sum(value - self.before.get(pid, 0) for pid, value in self.seen.items())
        self.seconds = self._own() - self.start + ticks / os.sysconf("SC_CLK_TCK")

    def _read(self) -> None:
        while self.root:
            self.seen.update(_tree_ticks(self.root))
            if self.done.wait(0.1):
                self.seen.update(_tree_ticks(self.root))
                return

    def _own(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = usage.ru_utime + usage.ru_stime
        if self.self_too:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            total += usage.ru_utime + usage.ru_stime
        return total


def _tree_ticks(root: int) -> dict[int, int]:
    """Each process under `root` (itself included): its own user and system clock ticks."""
    below: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        below.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in ticks:
            found[pid] = ticks[pid]
        todo += below.get(pid, [])
    return found


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def flags(seed: int, size: int = SIZE) -> list[str]:
    return ["--size", str(size), "--lipsync", "signal", "--seed", str(seed)]


def long_voice(folder: Path, repeats: int) -> Path:
    """The sample speech said `repeats` times over: a long clip from real speech."""
    with wave.open(str(SAMPLE_SPEECH)) as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    path = folder / "long.wav"
    with wave.open(str(path), "wb") as target:
        target.setparams(params)
        target.writeframes(frames * repeats)
    return path


def jobs_file(path: Path, rows: list[tuple[Path, str, int]], size: int = SIZE) -> Path:
    path.write_text("portrait,audio,output,size,lipsync,seed\n" + "".join(
        f"{SAMPLE_PORTRAIT},{audio},{output},{size},signal,{seed}\n"
        for audio, output, seed in rows))
    return path


class RayHead:
    """`ray start --head --block` on loopback with this machine's CPUs, in a folder of its
    own; stopped by signalling that one process, which stops what it started."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.address = f"127.0.0.1:{port}"
        self.log = folder / "ray-head.log"
        ray = Path(sys.executable).with_name("ray")
        start = time.perf_counter()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(ray), "start", "--head", "--block", "--port", str(port),
                 "--node-ip-address", "127.0.0.1", "--num-cpus", str(os.cpu_count()),
                 "--include-dashboard", "false", "--disable-usage-stats",
                 "--temp-dir", str(folder / "ray")],
                env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while "block forever" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None:
                raise RuntimeError(f"ray start failed: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        self.seconds = time.perf_counter() - start

    def connect(self):
        """This process, connected to the cluster as a driver that stays."""
        os.environ["RAY_AUTH_MODE"] = "disabled"
        import ray

        ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR)
        return ray

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def round_trip(ray) -> float:
    """Seconds a task that does nothing takes, there and back (after a first one)."""
    nothing = ray.remote(lambda: None)
    ray.get(nothing.remote())
    start = time.perf_counter()
    ray.get([nothing.remote() for _ in range(100)])
    return (time.perf_counter() - start) / 100


def chunked_here(voice: Path, outdir: Path, address: str, ray_root: int, size: int,
                 chunk_seconds: float) -> tuple[float, float]:
    """(seconds, CPU seconds) of the long clip chunked from this process, a driver that stays
    connected, with the Ray processes' CPU."""
    from studio.batch.jobs import Job
    from studio.batch.runner import run_batch
    from studio.doc.project import Project

    job = Job("long.mp4", outdir / "long.mp4",
              Project(portrait=str(SAMPLE_PORTRAIT), audio=str(voice), width=size, height=size,
                      lipsync="signal", seed=0))
    with CpuMeter(ray_root) as meter:
        start = time.perf_counter()
        [result] = run_batch([job], ray=address, chunk_seconds=chunk_seconds,
                             stream=io.StringIO())
        seconds = time.perf_counter() - start
    assert result.ok, result
    return seconds, meter.seconds


def short_jobs(folder: Path) -> tuple[Path, float]:
    """1. a script of `studio render`s against one `studio batch`: (the jobs file, seconds)."""
    sequential = sum(studio("render", str(SAMPLE_PORTRAIT), str(PHRASE), "-o",
                            str(folder / "seq" / f"{n}.mp4"), "-q", *flags(n))
                     for n in range(JOBS))
    short = jobs_file(folder / "jobs.csv", [(PHRASE, f"{n}.mp4", n) for n in range(JOBS)])
    batch = studio("batch", str(short), "-o", str(folder / "batch"))
    print(f"{JOBS} short jobs ({SIZE} px, 3 s): sequential {sequential:.1f} s, studio batch "
          f"{batch:.1f} s: {sequential / batch:.2f}x (target {BATCH_TARGET}x); {load()}",
          flush=True)
    return short, batch


def long_clip(folder: Path, head: RayHead, args: argparse.Namespace) -> None:
    """2. one render on one core, one on every core, chunks on Ray (fresh and warm workers)."""
    size, chunk = args.long_size, args.chunk_seconds
    voice = long_voice(folder, args.long_repeats)
    long_job = jobs_file(folder / "long.csv", [(voice, "long.mp4", 0)], size)
    root = head.process.pid
    chunked_here(voice, folder / "warming", head.address, root, size, chunk)  # workers import
    render = ["render", str(SAMPLE_PORTRAIT), str(voice), "-q", *flags(0, size), "-o"]
    times: dict[str, list[tuple[float, float]]] = {
        "one core": [], "every core": [], "chunked": [], "chunked, warm workers": []}
    for n in range(args.rounds):
        times["one core"].append(timed_studio(*render, str(folder / f"1-{n}.mp4"), core=0))
        times["every core"].append(timed_studio(*render, str(folder / f"all-{n}.mp4")))
        times["chunked"].append(timed_studio(
            "batch", str(long_job), "-o", str(folder / f"chunked-{n}"), "--ray",
            head.address, "--chunk-seconds", str(chunk), ray_root=root))
        times["chunked, warm workers"].append(
            chunked_here(voice, folder / f"warm-{n}", head.address, root, size, chunk))
        print(f"long clip, round {n + 1} (wall, CPU): " + ", ".join(
            f"{name} {values[-1][0]:.1f} s, {values[-1][1]:.1f} s"
            for name, values in times.items()) + f"; {load()}", flush=True)
    one_core, every_core, chunked, warm = (min(t for t, _ in values)
                                           for values in times.values())
    print(f"long clip ({args.long_repeats * 13} s, {size} px), best of {args.rounds}, "
          f"{chunk:g} s chunks on a Ray cluster started beforehand "
          f"({head.seconds:.1f} s, not counted); one render on one core "
          f"{one_core:.1f} s, on every core {every_core:.1f} s:")
    print("  CPU time, least of each: " + ", ".join(
        f"{name} {min(c for _, c in values):.1f} s" for name, values in times.items()))
    for name, seconds in (("studio batch --ray (fresh workers)", chunked),
                          ("a connected driver, warm workers", warm)):
        print(f"  {name} {seconds:.1f} s: {one_core / seconds:.2f}x against one "
              f"core, {every_core / seconds:.2f}x against every core (target "
              f"{CHUNKED_TARGET}x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("short", "long"), help="one part alone")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each long-clip render")
    parser.add_argument("--long-repeats", type=int, default=LONG_REPEATS,
                        help="the long clip: the 13 s sample speech this many times over")
    parser.add_argument("--long-size", type=int, default=LONG_SIZE, help="its frame size")
    parser.add_argument("--chunk-seconds", type=float, default=CHUNK_SECONDS,
                        help="its chunks' length (studio batch's default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        folder = Path(scratch)
        if args.only != "long":
            short, batch = short_jobs(folder)
        if args.only == "short":
            return
        head = RayHead(folder)
        try:
            ray = head.connect()
            long_clip(folder, head, args)
            if args.only is None:
                # 3. what Ray adds per job, and a task's round trip
                on_ray = studio("batch", str(short), "-o", str(folder / "ray"), "--ray",
                                head.address)
                trip = round_trip(ray)
            ray.shutdown()
        finally:
            head.stop()
        if args.only is None:
            print(f"{JOBS} short jobs: studio batch {batch:.1f} s, on Ray {on_ray:.1f} s: Ray "
                  f"adds {(on_ray - batch) / JOBS:+.2f} s a job (a task's round trip alone: "
                  f"{1000 * trip:.1f} ms); {load()}")


if __name__ == "__main__":
    main()
