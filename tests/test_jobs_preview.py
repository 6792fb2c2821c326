"""The preview worker and background tasks, without Qt: newest-wins, cache reuse, clean stops."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import Cancelled
from studio.jobs import (
    CancelToken, FrameCache, FrameSignals, PreviewRequest, PreviewWorker, Scene, TaskRunner,
)
from studio.render.base import FrameByFrame


class GatedRenderer(FrameByFrame):
    """Draws each frame's yaw into its pixels; can hold a render until the test releases it."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.calls: list[float] = []

    def prepare(self, rig, width, height) -> None:
        pass

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        self.entered.set()
        assert self.gate.wait(10)
        self.calls.append(frame.yaw)
        return np.full((8, 8, 3), int(frame.yaw) % 256, np.uint8)


def yaw_signals(yaws) -> FrameSignals:
    frames = [ControlFrame(index=i, yaw=y) for i, y in enumerate(yaws)]

    class Listed:
        def frame(self, index: int) -> ControlFrame:
            return frames[index]

    return FrameSignals(len(frames), Listed)


@pytest.fixture
def harness():
    renderer = GatedRenderer()
    delivered = []
    errors = []
    done = threading.Event()

    def on_frame(result):
        delivered.append(result)
        done.set()

    worker = PreviewWorker(on_frame, lambda g, e: (errors.append(e), done.set()))
    scene = Scene("portrait-a", lambda: renderer)
    yield worker, renderer, scene, delivered, errors, done
    worker.shutdown()
    assert not worker.is_alive()


def test_superseded_requests_are_cancelled_not_queued(harness):
    worker, renderer, scene, delivered, _, _ = harness
    signals = yaw_signals(range(100))
    renderer.gate.clear()
    worker.submit(PreviewRequest(scene, signals, 10, ahead=0, behind=0))
    assert renderer.entered.wait(5)  # the worker is now inside render(10)
    worker.submit(PreviewRequest(scene, signals, 20, ahead=0, behind=0))
    last = worker.submit(PreviewRequest(scene, signals, 30, ahead=0, behind=0))
    renderer.gate.set()
    assert worker.wait_idle()
    # frame 10 finished rendering but was stale, 20 never started, only 30 reached the viewer
    assert [r.index for r in delivered] == [30]
    assert delivered[0].generation == last
    assert renderer.calls == [10, 30]
    assert int(delivered[0].image[0, 0, 0]) == 30


def test_edit_invalidates_only_frames_whose_signals_changed(harness):
    worker, renderer, scene, delivered, _, _ = harness
    yaws = [float(i % 7) for i in range(40)]
    worker.submit(PreviewRequest(scene, yaw_signals(yaws), 0, ahead=39, behind=0))
    assert worker.wait_idle()
    assert worker.rendered == 40 and len(worker.cache) == 40
    edited = list(yaws)
    for i in range(10, 15):
        edited[i] += 3.0
    worker.submit(PreviewRequest(scene, yaw_signals(edited), 12, ahead=39, behind=39))
    assert worker.wait_idle()
    assert worker.rendered == 45  # exactly the five edited frames again
    assert int(delivered[-1].image[0, 0, 0]) == int(edited[12])
    assert not delivered[-1].from_cache
    # an unchanged frame far from the edit is served from the cache, also via peek()
    worker.submit(PreviewRequest(scene, yaw_signals(edited), 30, ahead=0, behind=0))
    assert worker.wait_idle()
    assert delivered[-1].from_cache and worker.rendered == 45
    assert worker.peek(30) is not None


def test_new_scene_prepares_again_and_drops_the_cache(harness):
    worker, renderer, scene, delivered, _, _ = harness
    signals = yaw_signals([1.0] * 10)
    worker.submit(PreviewRequest(scene, signals, 0, ahead=9))
    assert worker.wait_idle()
    other = GatedRenderer()
    worker.submit(PreviewRequest(Scene("portrait-b", lambda: other), signals, 0, ahead=0))
    assert worker.wait_idle()
    assert other.calls == [1.0] and not delivered[-1].from_cache


def test_playback_shows_no_frame_of_the_scene_being_replaced(harness):
    """Switching the renderer (a new scene) while a slow frame is still rendering: playback's
    peek() must not show the old renderer's cached frames meanwhile."""
    worker, renderer, scene, delivered, _, _ = harness
    signals = yaw_signals([float(i) for i in range(10)])
    worker.submit(PreviewRequest(scene, signals, 0, ahead=9))
    assert worker.wait_idle() and worker.peek(5) is not None
    renderer.gate.clear()
    renderer.entered.clear()
    worker.submit(PreviewRequest(scene, yaw_signals([float(i) + 50 for i in range(10)]), 0))
    assert renderer.entered.wait(5)  # a frame of the old scene is rendering, slowly
    other = GatedRenderer()
    worker.submit(PreviewRequest(Scene("portrait-a, mesh", lambda: other), signals, 5))
    assert worker.peek(5) is None  # the old scene's frame 5 is cached, but not for this
    renderer.gate.set()
    assert worker.wait_idle()
    assert other.calls[0] == 5.0 and worker.peek(5) is not None


def test_render_errors_are_reported_and_the_worker_survives(harness):
    worker, renderer, scene, delivered, errors, _ = harness

    def broken():
        raise RuntimeError("renderer exploded")

    worker.submit(PreviewRequest(Scene("broken", broken), yaw_signals([0.0]), 0))
    assert worker.wait_idle()
    assert [str(e) for e in errors] == ["renderer exploded"]
    worker.submit(PreviewRequest(scene, yaw_signals([5.0]), 0))
    assert worker.wait_idle()
    assert delivered and int(delivered[-1].image[0, 0, 0]) == 5


def test_shutdown_mid_render_joins_the_thread():
    renderer = GatedRenderer()
    renderer.gate.clear()
    worker = PreviewWorker(lambda r: None)
    worker.submit(PreviewRequest(Scene("s", lambda: renderer), yaw_signals(range(50)), 0))
    assert renderer.entered.wait(5)
    threading.Timer(0.05, renderer.gate.set).start()
    worker.shutdown()
    assert not worker.is_alive()
    assert len(renderer.calls) <= 2  # it stopped instead of rendering ahead
    with pytest.raises(RuntimeError):
        worker.submit(PreviewRequest(Scene("s", lambda: renderer), yaw_signals([0.0]), 0))


def test_frame_cache_evicts_farthest_from_playhead():
    cache = FrameCache(capacity=3)
    image = np.zeros((2, 2, 3), np.uint8)
    for i in (0, 1, 2, 9):
        cache.put(i, f"k{i}", image, playhead=9)
    assert cache.indices() == [1, 2, 9]
    assert cache.get(2, "k2") is image and cache.get(2, "other") is None
    # frame 1 unchanged, frame 2 edited, frame 9 no longer in the clip
    assert cache.retain_matching(lambda i: "k1" if i == 1 else None if i == 9 else "changed") == 2
    assert cache.indices() == [1]


def test_signals_build_lazily_once():
    builds = []

    class Source:
        def frame(self, index):
            return ControlFrame(index=index, yaw=float(index))

    def build():
        builds.append(1)
        return Source()

    signals = FrameSignals(5, build)
    assert builds == []
    assert signals.frame(99).index == 4  # clamped to the clip
    assert signals.key(1) == ControlFrame(yaw=1.0).signal_key()
    assert builds == [1]


def test_task_runner_reports_done_error_and_cancel():
    runner = TaskRunner()
    results, errors, cancelled = [], [], []
    finished = threading.Semaphore(0)

    def record(bucket):
        return lambda *a: (bucket.append(a), finished.release())

    runner.start("ok", lambda token: 42, record(results), record(errors))
    runner.start("bad", lambda token: 1 / 0, record(results), record(errors))

    def long_job(token: CancelToken):
        while True:
            token.raise_if_cancelled()
            time.sleep(0.005)

    task = runner.start("long", long_job, record(results), record(errors), record(cancelled))
    for _ in range(2):
        assert finished.acquire(timeout=5)
    task.cancel()
    assert finished.acquire(timeout=5)
    runner.shutdown()
    assert results == [(42,)]
    assert isinstance(errors[0][0], ZeroDivisionError)
    assert cancelled == [()]
    assert runner.live() == []


def test_task_runner_shutdown_cancels_live_tasks():
    runner = TaskRunner()
    started = threading.Event()

    def waits_for_cancel(token: CancelToken):
        started.set()
        while not token.cancelled:
            time.sleep(0.005)
        raise Cancelled()

    task = runner.start("export", waits_for_cancel, lambda r: None, lambda e: None)
    assert started.wait(5)
    runner.shutdown(timeout=5)
    assert not task.is_alive()


@dataclass
class StepEvent:
    """The fields of the diffusion renderer's PreviewEvent the worker reads."""

    frames: list
    step: int
    total: int
    images: list
    final: bool


class SteppedRenderer:
    """Refines in steps like the diffusion renderer: previews after each step, stops on cancel."""

    name = "stepped"
    steps = 4

    def __init__(self) -> None:
        self.step_gate = threading.Semaphore(0)
        self.steps_run: list[tuple[float, int]] = []

    def prepare(self, rig, width, height) -> None:
        pass

    def render_batch(self, frames, preview=None, cancel=None):
        frame = frames[0]
        for step in range(self.steps + 1):
            if cancel is not None and cancel():
                raise Cancelled()
            assert self.step_gate.acquire(timeout=10)
            self.steps_run.append((frame.yaw, step))
            image = np.full((8, 8, 3), step, np.uint8)
            if preview is not None and step < self.steps:
                preview(StepEvent([frame], step, self.steps, [image], final=False))
        return [np.full((8, 8, 3), 100 + int(frame.yaw), np.uint8)]


def test_refinement_steps_stream_and_a_superseded_request_stops_at_the_next_step():
    renderer = SteppedRenderer()
    delivered = []
    worker = PreviewWorker(delivered.append)
    scene = Scene("stepped", lambda: renderer)
    signals = yaw_signals([1.0, 2.0])
    try:
        first = worker.submit(PreviewRequest(scene, signals, 0, ahead=0, behind=0))
        renderer.step_gate.release()  # step 0 (the mesh render), then step 1
        renderer.step_gate.release()
        for _ in range(100):
            if len(delivered) == 2:
                break
            time.sleep(0.02)
        assert [(r.generation, r.step, r.final) for r in delivered] == [
            (first, 0, False), (first, 1, False)]
        second = worker.submit(PreviewRequest(scene, signals, 1, ahead=0, behind=0))
        for _ in range(6):
            renderer.step_gate.release()
        assert worker.wait_idle()
    finally:
        worker.shutdown()
    # the first request ran no step after it was superseded (at most the one in flight)
    assert [s for yaw, s in renderer.steps_run if yaw == 1.0] in ([0, 1], [0, 1, 2])
    assert all(r.generation == second for r in delivered[2:])
    assert [r.step for r in delivered[2:]] == [0, 1, 2, 3, None]
    assert delivered[-1].final and int(delivered[-1].image[0, 0, 0]) == 102
