"""Signal keys computed from a ControlSequence's arrays equal the ControlFrames' own keys, and the
worker delivers the playhead frame before it compares the keys of the frames it has cached."""

from __future__ import annotations

import threading
import wave

import numpy as np
import pytest

from studio.analysis.performance import Performance
from studio.conditioning.control_frame import BLENDSHAPES, ControlFrame
from studio.conditioning.sequence import ControlSequence, build_controls
from studio.doc.project import Blink, EmotionKey, GazeKey, Key, Project, StyleKey
from studio.jobs import FrameSignals, PreviewRequest, PreviewWorker, Scene
from studio.render.base import FrameByFrame


def speech_performance(path, fps: int = 25) -> Performance:
    """The real speech's loudness per frame, with a swaying head and loudness-driven brows."""
    with wave.open(str(path)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), np.int16) / 32768.0
        hop = w.getframerate() // fps
    n = -(-len(samples) // hop)
    frames = np.pad(samples, (0, n * hop - len(samples))).reshape(n, hop)
    db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    loudness = np.clip((db + 50.0) / 38.0, 0.0, 1.0).astype(np.float32)
    t = np.arange(n) / fps
    head = np.stack([3 * np.sin(t), 2 * np.cos(1.3 * t), np.sin(0.7 * t), 0.01 * np.sin(t),
                     0.005 * np.cos(t)], axis=1).astype(np.float32)
    return Performance(fps=fps, loudness=loudness, head=head,
                       expressive={"browInnerUp": (0.3 * loudness).astype(np.float32)},
                       pause=(loudness < 0.1).astype(np.float32))


@pytest.fixture(scope="module")
def directed(speech_path) -> ControlSequence:
    """The real speech's performance under pose, gaze, emotion, style keys and a blink."""
    performance = speech_performance(speech_path)
    project = Project(duration=performance.frame_count / 25, fps=25, seed=3)
    tracks = project.tracks
    tracks.head_yaw.keys = [Key(0.0, 0.0), Key(2.0, 17.3), Key(5.0, -8.25)]
    tracks.head_pitch.keys = [Key(1.0, 4.0, "step"), Key(3.0, -2.5)]
    tracks.gaze = [GazeKey(0.5, 3.3, -1.1), GazeKey(4.0, -6.0, 2.0)]
    tracks.emotion = [EmotionKey(1.0, "happy", 0.7), EmotionKey(6.0, "sad", 0.4)]
    tracks.style = [StyleKey(0.0, lip_amplitude=1.3), StyleKey(8.0, head_motion=0.5)]
    tracks.blinks = [Blink(2.4)]
    return build_controls(project, performance)


def test_vectorised_keys_equal_every_frames_own_key(directed):
    assert len(directed) == 330
    assert directed.signal_keys() == [frame.signal_key() for frame in directed]
    assert len(set(directed.signal_keys())) > 300  # the keys tell moving frames apart


def test_vectorised_keys_round_exactly_as_python_does():
    """Values whose scaled form sits on or next to a rounding half, negative zeros and zero
    coefficients: the cases where numpy's rounding and Python's round() could disagree."""
    rng = np.random.default_rng(7)
    halves = (np.arange(-400, 400) + 0.5) / 1e6
    scalars = np.concatenate([halves, np.nextafter(halves, 1), np.nextafter(halves, -1),
                              rng.normal(0.0, 20.0, 600), [0.0, -0.0, -1e-9, 2.5e-6]])
    n = len(scalars)
    expression = np.abs(rng.normal(0.0, 0.3, (n, len(BLENDSHAPES)))).astype(np.float32)
    expression[::3] = 0.0
    expression[1::3, :5] = np.float32(-0.0)
    expression[2::3, 7] = np.float32(0.0000005)
    columns = [np.roll(scalars, shift) for shift in range(8)]
    sequence = ControlSequence(25.0, np.arange(n) / 25.0, *columns, expression=expression)
    assert sequence.signal_keys() == [frame.signal_key() for frame in sequence]
    picked = [5, n - 1, -1, 17]
    assert sequence.signal_keys(picked) == [sequence.frame(i).signal_key() for i in picked]
    with pytest.raises(IndexError):
        sequence.signal_keys([n])


def test_frame_signals_batch_keys_through_the_sequence(directed):
    built = []

    def build():
        built.append(1)
        return directed

    signals = FrameSignals(len(directed), build)
    keys = signals.keys([3, 200, 3, 329])
    assert keys == {i: directed.frame(i).signal_key() for i in (3, 200, 329)}
    assert signals.key(200) == keys[200] and built == [1]


class _Recording(FrameByFrame):
    """Renders each frame's yaw as its pixels and notes what happened in which order."""

    name = "recording"

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def prepare(self, rig, width, height) -> None:
        pass

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        self.events.append(f"render {frame.index}")
        return np.full((4, 4, 3), int(frame.yaw) % 256, np.uint8)


class _KeyedFrames:
    """A frame source that records when the batch of cached frames' keys is asked for."""

    def __init__(self, yaws: list[float], events: list[str]) -> None:
        self.frames = [ControlFrame(index=i, yaw=y) for i, y in enumerate(yaws)]
        self.events = events

    def frame(self, index: int) -> ControlFrame:
        return self.frames[index]

    def signal_keys(self, indices) -> list[str]:
        self.events.append("cache keys")
        return [self.frames[i].signal_key() for i in indices]


def test_the_playhead_frame_is_delivered_before_the_cache_is_checked():
    events: list[str] = []
    done = threading.Event()

    def on_frame(result) -> None:
        events.append(f"deliver {result.index}")
        done.set()

    worker = PreviewWorker(on_frame)
    scene = Scene("portrait", lambda: _Recording(events))
    try:
        yaws = [float(i) for i in range(20)]
        worker.submit(PreviewRequest(scene, FrameSignals(20, lambda: _KeyedFrames(yaws, events)),
                                     5, ahead=3, behind=0))
        assert worker.wait_idle()
        events.clear()
        edited = yaws[:5] + [50.0] + yaws[6:]  # frame 5 changes, 6..8 stay cached
        worker.submit(PreviewRequest(
            scene, FrameSignals(20, lambda: _KeyedFrames(edited, events)), 5, ahead=3, behind=0))
        assert worker.wait_idle()
        assert events[:3] == ["render 5", "deliver 5", "cache keys"]
        assert not any(e.startswith("render") for e in events[3:])  # 6..8 came from the cache
        assert int(worker.peek(5)[0, 0, 0]) == 50 and worker.peek(6) is not None
    finally:
        worker.shutdown()
    assert not worker.is_alive()
