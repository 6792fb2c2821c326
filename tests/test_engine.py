"""The headless engine (studio.engine) on real inputs: one audio decode per analysis, frames
streamed in order on threads with a bounded number in flight, identical to one thread; the
studio's export (ranges, transparency) equal to `studio render`; a cancel leaves nothing."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import numpy as np
import pytest

import studio.analysis.audio as audio_module
import studio.engine.pipeline as pipeline
from studio.cli import main as studio_main
from studio.doc.errors import Cancelled
from studio.doc.project import Project
from studio.engine import (Analysis, CancelToken, Output, analyze, controls_for, prepare_renderer,
                           render_frames, render_project)
from studio.jobs.export import ExportSettings, ExportSource, run_export
from studio.render.base import FrameByFrame
from media_probe import decode_audio, decode_video, write_beep

ROOT = Path(__file__).resolve().parent.parent
PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"
SIZE = 128


def small_project(portrait_path: Path, audio: Path = PHRASE) -> Project:
    return Project(portrait=str(portrait_path), audio=str(audio), width=SIZE, height=SIZE,
                   lipsync="signal", seed=3)


@pytest.fixture(scope="module")
def analysed(portrait_path) -> tuple[Project, Analysis]:
    project = small_project(portrait_path)
    analysis = analyze(project)
    project.duration = analysis.duration
    return project, analysis


class DecodeCounter:
    """Counts the ffmpeg decodes (each by the sample rates it resamples to) and probes of the
    audio module."""

    def __init__(self, monkeypatch) -> None:
        self.decodes: list[tuple[int, ...]] = []
        self.probes = 0
        decoder, probe = audio_module._decoder, audio_module.probe_audio

        def counting_decoder(path, rates):
            self.decodes.append(tuple(rates))
            return decoder(path, rates)

        def counting_probe(path):
            self.probes += 1
            return probe(path)

        monkeypatch.setattr(audio_module, "_decoder", counting_decoder)
        monkeypatch.setattr(audio_module, "probe_audio", counting_probe)


def test_the_engine_decodes_and_probes_the_audio_once(portrait_path, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    analysis = analyze(small_project(portrait_path))
    assert counter.decodes == [(audio_module.ANALYSIS_SAMPLE_RATE,)] and counter.probes == 1
    assert analysis.performance.frame_count == Project(duration=analysis.duration).frame_count()


def test_studio_render_decodes_and_probes_the_audio_once(portrait_path, tmp_path, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    out = tmp_path / "clip.mp4"
    assert studio_main(["render", str(portrait_path), str(PHRASE), "-o", str(out), "-q",
                        "--size", "128", "--lipsync", "signal"]) == 0
    assert counter.decodes == [(audio_module.ANALYSIS_SAMPLE_RATE,)] and counter.probes == 1


def test_a_dropped_voice_is_decoded_once(portrait_path, speech_path, monkeypatch):
    from studio.ui.media import PLAYBACK_RATE, full_audio, quick_audio

    counter = DecodeCounter(monkeypatch)
    token = CancelToken()
    quick = quick_audio(speech_path, 25, token)
    full = full_audio(quick, Project(audio=str(speech_path), lipsync="signal"), token)
    assert full.complete and full.clip is quick.clip
    # one decode (one probe) resampled to the analysis rate and the sound card's; the quick and
    # full passes share it
    assert counter.decodes == [(audio_module.ANALYSIS_SAMPLE_RATE, PLAYBACK_RATE)]
    assert counter.probes == 1
    assert quick.playback.shape[0] == pytest.approx(quick.clip.duration * PLAYBACK_RATE,
                                                    abs=PLAYBACK_RATE / 1000)  # within 1 ms


class CountingRenderer(FrameByFrame):
    """The real mesh renderer, counting frames started; frames in flight = started - written."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.renders_in_threads = inner.renders_in_threads
        self.started = 0
        self.lock = threading.Lock()

    def render(self, frame, with_alpha=False):
        with self.lock:
            self.started += 1
        return self.inner.render(frame, with_alpha=with_alpha)


def test_frames_stream_with_a_bounded_number_in_flight(analysed, tmp_path, monkeypatch):
    project, analysis = analysed
    renderers: list[CountingRenderer] = []

    def counting(project, rig, *args):
        renderers.append(CountingRenderer(prepare_renderer(project, rig, *args)))
        return renderers[0]

    monkeypatch.setattr(pipeline, "prepare_renderer", counting)
    in_flight = []

    def progress(done, total):
        in_flight.append(renderers[0].started - done)

    out = render_project(project, Output(tmp_path / "clip.mp4"), analysis=analysis,
                         progress=progress, workers=2)
    frames = len(controls_for(project, analysis))
    assert len(in_flight) == frames and renderers[0].started == frames
    assert max(in_flight) <= 2 * 2  # never more than two frames a worker ahead of the encoder
    assert len(decode_video(out)) == frames


def test_threaded_frames_equal_single_thread_frames(analysed):
    project, analysis = analysed
    controls = controls_for(project, analysis)
    renderer = prepare_renderer(project, analysis.rig)
    one = list(render_frames(renderer, controls, 10, 40, workers=1))
    two = list(render_frames(renderer, controls, 10, 40, workers=2))
    four = list(render_frames(renderer, controls, 10, 40, with_alpha=True, workers=4))
    assert len(one) == len(two) == 30
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    assert all(np.array_equal(a, b[..., :3]) for a, b in zip(one, four))


def test_cancel_mid_render_leaves_no_partial_file_and_no_thread(analysed, tmp_path):
    project, analysis = analysed
    token = CancelToken()
    out = tmp_path / "clip.mp4"
    before = threading.active_count()

    def progress(done, total):
        if done == 20:
            token.cancel()

    with pytest.raises(Cancelled):
        render_project(project, Output(out), analysis=analysis, progress=progress,
                       cancel=token, workers=2)
    assert list(tmp_path.iterdir()) == []
    assert threading.active_count() == before


def export_source(project: Project, analysis: Analysis) -> ExportSource:
    """What the studio hands an export: its own copy of the project and the analysis."""
    return ExportSource(copy.deepcopy(project), analysis.rig, analysis.performance,
                        analysis.visemes)


def export_settings(project: Project, path: Path, fmt: str, start: int, end: int) -> ExportSettings:
    return ExportSettings(path=path, format=fmt, width=project.width, height=project.height,
                          fps=project.fps, start=start, end=end)


def test_transparent_export_from_the_studio_equals_studio_render(analysed, tmp_path):
    project, analysis = analysed
    path = tmp_path / "p.json"
    from studio.doc.io import save_project

    save_project(project, path)
    cli_out = tmp_path / "cli"
    assert studio_main(["render", "--project", str(path), "-o", str(cli_out), "-q",
                        "--transparent"]) == 0
    last = len(list(cli_out.glob("*.png"))) - 1
    app_out = tmp_path / "app"
    run_export(export_source(project, analysis), export_settings(project, app_out, "png-alpha", 0, last),
               CancelToken())
    for index in (0, last // 2, last):
        app = decode_video(app_out / f"frame_{index:05d}.png", "rgba")[0]
        cli = decode_video(cli_out / f"frame_{index:05d}.png", "rgba")[0]
        assert np.array_equal(app, cli)
        alpha = app[..., 3]
        assert alpha.min() == 0 and alpha.max() == 255  # a person on a transparent background


def test_transparent_mov_export_from_the_studio(analysed, tmp_path):
    project, analysis = analysed
    out = tmp_path / "clip.mov"
    run_export(export_source(project, analysis), export_settings(project, out, "mov", 0, 9),
               CancelToken())
    frames = decode_video(out, "rgba")
    assert frames.shape == (10, SIZE, SIZE, 4) and frames[..., 3].min() == 0


def test_a_range_export_starts_its_sound_at_its_first_frame(portrait_path, tmp_path):
    """A beep at exactly 2 s in the voice clip is at 1 s in an export of frames 25 on."""
    rate = 48000
    source = write_beep(tmp_path / "beep.wav", 3.0, 2.0, rate)
    project = small_project(portrait_path, source)
    analysis = analyze(project)
    project.duration = analysis.duration
    out = tmp_path / "range.mp4"
    run_export(export_source(project, analysis), export_settings(project, out, "mp4", 25, 74),
               CancelToken())
    assert len(decode_video(out)) == 50
    audio = decode_audio(out, rate)
    onset = np.argmax(np.abs(audio) > 0.1) / rate
    assert onset == pytest.approx(1.0, abs=0.002)
