"""The renderer, prepared once, and its frames in order: on every core, a few in flight.

The mesh renderer's per-frame work is OpenCV and numpy on arrays it only reads, and OpenCV
releases the GIL, so threads over frames share one prepared renderer. Frames come back in
order and at most `2 x workers` are in flight (rendered or being rendered), so memory stays
flat however long the clip. A renderer that denoises several frames together (diffusion) gets
them a batch at a time, on the caller's thread.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.conditioning.control_frame import ControlFrame
from studio.doc.project import Project
from studio.render.base import Renderer


class FrameSource(Protocol):
    def __len__(self) -> int: ...

    def frame(self, index: int) -> ControlFrame: ...


def prepare_renderer(project: Project, rig: FaceRig, width: int | None = None,
                     height: int | None = None) -> Renderer:
    """The renderer the project asks for, prepared for the portrait at the project's size (or
    the given one): the one place a renderer is made for a project."""
    from studio.render.registry import create_renderer

    renderer = create_renderer(project.render, project.seed)
    renderer.prepare(rig, width or project.width, height or project.height)
    return renderer


def render_workers() -> int:
    """Threads for frame rendering: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def render_frames(renderer: Renderer, controls: FrameSource, start: int = 0,
                  stop: int | None = None, *, with_alpha: bool = False,
                  workers: int | None = None) -> Iterator[np.ndarray]:
    """Frames `start` to `stop - 1` in order, pulled one at a time by the encoder.

    Closing the iterator early (a cancel, an encoder error) stops the work still queued and
    waits for the frames being rendered, so no thread outlives the render.
    """
    stop = len(controls) if stop is None else stop
    size = renderer.batch_size
    if size > 1 and not with_alpha:
        for first in range(start, stop, size):
            yield from renderer.render_batch(
                [controls.frame(i) for i in range(first, min(first + size, stop))])
        return
    workers = render_workers() if workers is None else workers
    if workers <= 1 or not renderer.renders_in_threads or stop - start < 2:
        for index in range(start, stop):
            yield renderer.render(controls.frame(index), with_alpha=with_alpha)
        return
    yield from _in_threads(renderer, controls, range(start, stop), with_alpha, workers)


def _in_threads(renderer: Renderer, controls: FrameSource, indices: range, with_alpha: bool,
                workers: int) -> Iterator[np.ndarray]:
    def render(index: int) -> np.ndarray:
        return renderer.render(controls.frame(index), with_alpha=with_alpha)

    previous = _opencv_threads(1)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="studio-render")
    pending: deque[Future[np.ndarray]] = deque()
    queue = iter(indices)
    try:
        for index in queue:
            pending.append(pool.submit(render, index))
            if len(pending) == 2 * workers:
                break
        while pending:
            frame = pending.popleft().result()
            index = next(queue, None)
            if index is not None:
                pending.append(pool.submit(render, index))
            yield frame
            del frame
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        _opencv_threads(previous)


def _opencv_threads(count: int | None) -> int | None:
    """Set OpenCV's own thread count (when OpenCV is loaded); returns the previous one. The
    frames already fill the cores: OpenCV's pool splitting each remap on top of them only
    adds hand-offs and spinning workers that take time from the render threads and the
    encoder."""
    cv2 = sys.modules.get("cv2")
    if cv2 is None or count is None:
        return None
    previous = cv2.getNumThreads()
    cv2.setNumThreads(count)
    return previous
