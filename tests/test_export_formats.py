"""Exported files decoded back with ffmpeg: codecs, frame counts, pixels, alpha, audio timing."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.analysis.audio import ffmpeg_exe, load_audio
from studio.export import export_clip
from media_probe import decode_audio, decode_video, describe, write_beep

FPS = 25
PHRASE = Path(__file__).parent / "data" / "audio" / "phrase.wav"


def numbered_frames(portrait: np.ndarray, count: int, alpha: bool = False):
    """The portrait with frame i's index drawn as a bar i pixels wide, so order can be read back."""
    for index in range(count):
        frame = portrait.copy()
        frame[:16, :] = 0
        frame[:16, 8 : 8 + 4 * index] = 255
        if alpha:
            mask = np.zeros(frame.shape[:2], np.uint8)
            mask[64:-64, 96:-96] = 255  # an opaque "person" on a transparent background
            frame = np.dstack([frame, mask])
        yield frame


def bar_lengths(frames: np.ndarray) -> list[int]:
    row = frames[:, 8, :, :3].mean(axis=2)
    return [int(round((np.sum(r[8:] > 128)) / 4)) for r in row]


@pytest.fixture(scope="module")
def portrait(portrait_path) -> np.ndarray:
    return np.asarray(Image.open(portrait_path).convert("RGB"))


@pytest.fixture(scope="module")
def phrase_mp4(tmp_path_factory, portrait) -> tuple[Path, int]:
    """The committed 3.05 s phrase at 25 fps: a non-integer number of frames' worth of audio."""
    frame_count = math.ceil(load_audio(PHRASE).duration * FPS)
    out = tmp_path_factory.mktemp("mp4") / "phrase.mp4"
    export_clip(
        numbered_frames(portrait, frame_count),
        out,
        fps=FPS,
        frame_count=frame_count,
        audio_path=PHRASE,
    )
    return out, frame_count


def test_mp4_is_h264_yuv420p_with_aac_and_faststart(phrase_mp4):
    out, frame_count = phrase_mp4
    info = describe(out)
    assert re.search(r"Video: h264 .*yuv420p", info)
    assert "Audio: aac" in info
    assert "start: 0.000000" in info
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info)
    assert float(duration[3]) == pytest.approx(frame_count / FPS, abs=0.03)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # playable while it downloads


def test_mp4_has_exactly_the_frames_written_in_order(phrase_mp4, portrait):
    out, frame_count = phrase_mp4
    assert frame_count == 77  # ceil(3.05 s * 25): the last frame is partly past the audio
    frames = decode_video(out)
    assert frames.shape == (77, 512, 512, 3)
    assert bar_lengths(frames) == list(range(77))
    first = next(numbered_frames(portrait, 1))
    error = np.abs(frames[0].astype(int) - first.astype(int))
    assert error[16:].mean() < 2.5  # crf 18: visually lossless
    assert np.percentile(error[16:], 99) < 16


def test_mp4_audio_is_the_original_speech(phrase_mp4):
    out, _ = phrase_mp4
    exported = decode_audio(out, 16000)
    original = load_audio(PHRASE).samples
    assert len(exported) == pytest.approx(len(original), abs=16000 // FPS)
    n = min(len(exported), len(original))
    assert np.corrcoef(exported[:n], original[:n])[0, 1] > 0.97  # same waveform, no shift


@pytest.mark.parametrize("source_format", ["wav", "mp3"])
def test_audio_is_aligned_to_frame_zero(tmp_path, portrait, source_format):
    """A beep at exactly 1 s in the source starts at 1 s in the export: no priming offset."""
    rate = 48000
    source = write_beep(tmp_path / "beep.wav", 2.0, 1.0, rate)
    if source_format == "mp3":
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(source), str(tmp_path / "beep.mp3")], check=True
        )
        source = tmp_path / "beep.mp3"
    out = export_clip(
        numbered_frames(portrait, 50),
        tmp_path / "beep.mp4",
        fps=FPS,
        frame_count=50,
        audio_path=source,
    )
    audio = decode_audio(out, rate)
    onset = np.argmax(np.abs(audio) > 0.1) / rate
    assert onset == pytest.approx(1.0, abs=0.002)


def test_audio_longer_than_the_frames_is_cut_at_the_last_frame(tmp_path, portrait, speech_path):
    out = export_clip(
        numbered_frames(portrait, 25),
        tmp_path / "cut.mp4",
        fps=FPS,
        frame_count=25,
        audio_path=speech_path,
    )
    assert len(decode_audio(out)) / 48000 == pytest.approx(1.0, abs=0.025)


def test_fractional_frame_rate_and_odd_size(tmp_path, portrait):
    odd = portrait[:301, :199]
    out = export_clip((odd for _ in range(30)), tmp_path / "odd.mp4", fps=29.97, frame_count=30)
    info = describe(out)
    assert "29.97 fps" in info
    assert re.search(r"yuv420p.*, 198x300", info)
    frames = decode_video(out)
    assert frames.shape == (30, 300, 198, 3)
    assert np.abs(frames[0].astype(int) - odd[:300, :198].astype(int)).mean() < 2.5


def test_png_sequence_is_lossless(tmp_path, portrait):
    out = export_clip(numbered_frames(portrait, 12), tmp_path / "frames", fps=FPS, frame_count=12)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(12)]
    for index, expected in enumerate(numbered_frames(portrait, 12)):
        written = Image.open(out / names[index])
        assert written.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(written), expected)


def test_transparent_png_sequence_keeps_alpha(tmp_path, portrait):
    out = export_clip(
        numbered_frames(portrait, 5, alpha=True),
        tmp_path / "matte",
        fps=FPS,
        frame_count=5,
        format="png-alpha",
    )
    expected = list(numbered_frames(portrait, 5, alpha=True))
    for index in range(5):
        written = Image.open(out / f"frame_{index:05d}.png")
        assert written.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(written), expected[index])


def test_prores_4444_keeps_alpha_and_audio(tmp_path, portrait):
    out = export_clip(
        numbered_frames(portrait, 20, alpha=True),
        tmp_path / "matte.mov",
        fps=FPS,
        frame_count=20,
        audio_path=PHRASE,
    )
    info = describe(out)
    assert re.search(r"Video: prores \(4444\).*yuva444p", info)
    assert "Audio: pcm_s16le" in info
    frames = decode_video(out, "rgba")
    expected = np.stack(list(numbered_frames(portrait, 20, alpha=True)))
    assert frames.shape == expected.shape
    assert np.abs(frames[..., 3].astype(int) - expected[..., 3]).max() <= 1  # the matte survives
    assert np.abs(frames[..., :3].astype(int) - expected[..., :3]).mean() < 1.5
    assert bar_lengths(frames) == list(range(20))
