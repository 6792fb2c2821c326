"""The preview worker: one thread renders what the playhead shows, newest request wins.

The UI never waits on rendering. Each submit() gets a generation number and cancels the request
in flight through its token, so dragging a key or the playhead replaces pending work instead of
queueing stale frames. Once the playhead frame is delivered, the worker renders ahead around it
into a FrameCache until it is cancelled or the window is full.

A renderer that refines step by step (the diffusion renderer's `render_batch(frames, preview,
cancel)`, studio.render.base) streams its intermediate pictures: the mesh render it starts from, then each step's
cheaply decoded prediction, each delivered as a FrameResult with `step` set, and it stops at the
next step once a newer request cancels the token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import Cancelled, InputError
from studio.jobs.cancel import CancelToken
from studio.jobs.frame_cache import FrameCache
from studio.jobs.signals import FrameSignals
from studio.render.base import Renderer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scene:
    """A prepared subject. `key` names everything `prepare` depends on (portrait, size, renderer
    settings): a new key clears the cache and prepares again on the worker thread."""

    key: str
    prepare: Callable[[], Renderer]


@dataclass(frozen=True)
class PreviewRequest:
    scene: Scene
    signals: FrameSignals
    index: int
    ahead: int = 25
    behind: int = 5
    landmarks: bool = False  # also deliver the posed landmarks (the mesh overlay)


@dataclass(frozen=True)
class FrameResult:
    generation: int
    index: int
    image: np.ndarray
    frame: ControlFrame
    from_cache: bool
    landmarks: np.ndarray | None = None
    step: int | None = None  # an intermediate picture after `step` of `total` steps; None: final
    total: int = 0

    @property
    def final(self) -> bool:
        return self.step is None


class PreviewWorker:
    """Renders preview requests on a non-daemon thread that shutdown() always joins.

    `on_frame` receives the playhead frame of each request that was not superseded first;
    `on_error` receives exceptions raised by prepare or render. Both are called on the worker
    thread: a UI must hand them over to its own thread.
    """

    def __init__(
        self,
        on_frame: Callable[[FrameResult], None],
        on_error: Callable[[int, BaseException], None] | None = None,
        cache: FrameCache | None = None,
    ) -> None:
        self.cache = cache if cache is not None else FrameCache()
        self._on_frame = on_frame
        self._on_error = on_error
        self._cond = threading.Condition()
        self._pending: tuple[int, PreviewRequest, CancelToken] | None = None
        self._active: CancelToken | None = None
        self._generation = 0
        self._stopping = False
        self._busy = False
        self._scene_key: str | None = None
        self._newest_scene: str | None = None  # the scene of the newest request submitted
        self._renderer: Renderer | None = None
        self._signals: FrameSignals | None = None
        self.rendered = 0  # frames actually rendered (not served from the cache), for tests/benches
        self._thread = threading.Thread(target=self._run, name="studio-preview", daemon=False)
        self._thread.start()

    @property
    def generation(self) -> int:
        """The generation of the newest request submitted."""
        return self._generation

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, request: PreviewRequest) -> int:
        """Supersede whatever is pending or rendering with this request; returns its generation."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("the preview worker has been shut down")
            self._generation += 1
            if self._pending is not None:
                self._pending[2].cancel()
            if self._active is not None:
                self._active.cancel()
            self._pending = (self._generation, request, CancelToken())
            self._newest_scene = request.scene.key
            self._cond.notify_all()
            return self._generation

    def peek(self, index: int) -> np.ndarray | None:
        """A cached frame for `index` under the newest signals the worker has seen, if any;
        none while the newest request shows another scene (another renderer, size or
        portrait) than the cache holds, until the worker has started on it."""
        signals = self._signals
        if signals is None or self._newest_scene != self._scene_key:
            return None
        return self.cache.get(signals.clamp(index), signals.key(index))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is pending or rendering (for tests, benches and export hand-off)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and not self._busy, timeout=timeout
            )

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything and join the thread: no thread outlives the window."""
        with self._cond:
            self._stopping = True
            if self._pending is not None:
                self._pending[2].cancel()
                self._pending = None
            if self._active is not None:
                self._active.cancel()
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the preview worker did not stop in time")

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._stopping)
                if self._stopping:
                    self._busy = False
                    self._cond.notify_all()
                    return
                generation, request, token = self._pending
                self._pending = None
                self._active = token
                self._busy = True
            try:
                self._serve(generation, request, token)
            except Cancelled:
                pass
            except Exception as error:  # reported to the UI, which shows it; the worker lives on
                if isinstance(error, InputError):  # settings asking for what cannot be: expected
                    logger.info("preview refused: %s", error)
                else:
                    logger.exception("preview render failed")
                if self._on_error is not None:
                    self._on_error(generation, error)
            finally:
                with self._cond:
                    self._active = None
                    self._busy = False
                    self._cond.notify_all()

    def _serve(self, generation: int, request: PreviewRequest, token: CancelToken) -> None:
        # 1. the subject: prepare again only when the scene changed
        if request.scene.key != self._scene_key or self._renderer is None:
            self.cache.clear()
            self._renderer = None
            self._renderer = request.scene.prepare()
            self._scene_key = request.scene.key
            token.raise_if_cancelled()
        # 2. the playhead frame first, delivered as soon as it is rendered (a refining renderer
        # streams its steps before it): only its own signal key is needed to find it cached
        signals = request.signals
        index = signals.clamp(request.index)
        frame = signals.frame(index)

        def stream(event) -> None:
            if not event.final and not token.cancelled:
                self._on_frame(FrameResult(generation, index, event.images[0], frame, False,
                                           step=event.step, total=event.total))

        image, from_cache = self._frame(index, signals, index, token, stream)
        landmarks = self._landmarks(frame) if request.landmarks else None
        token.raise_if_cancelled()
        self._on_frame(FrameResult(generation, index, image, frame, from_cache, landmarks))
        # 3. then the cache keeps only the frames this edit did not change (their keys compared
        # in one batch); a frame looked up before this is checked against its own key anyway
        if signals is not self._signals:
            held = [i for i in self.cache.indices() if i < signals.count]
            self.cache.retain_matching(signals.keys(held).get)
            self._signals = signals
        # 4. render ahead (then a little behind) into the cache until superseded
        order = list(range(index + 1, min(index + request.ahead, signals.count - 1) + 1))
        order += list(range(index - 1, max(index - request.behind, 0) - 1, -1))
        for i in order:
            token.raise_if_cancelled()
            self._frame(i, signals, index, token)

    def _landmarks(self, frame: ControlFrame) -> np.ndarray | None:
        return self._renderer.posed_landmarks(frame)

    def _frame(self, index: int, signals: FrameSignals, playhead: int, token: CancelToken,
               stream: Callable | None = None) -> tuple[np.ndarray, bool]:
        key = signals.key(index)
        cached = self.cache.get(index, key)
        if cached is not None:
            return cached, True
        frame = signals.frame(index)
        # one frame as a batch: a renderer that refines step by step streams it and stops at
        # the next step once cancelled (studio.render.base)
        image = self._renderer.render_batch([frame], preview=stream, cancel=token)[0]
        self.rendered += 1
        self.cache.put(index, key, image, playhead)
        return image, False
