"""Decoding voice clips: every common format, rate and layout; refusals; streaming long clips.

The other formats are made at test time from the real speech sample with the bundled ffmpeg,
so these are real files from real encoders, and no espeak-ng or sox is needed here.
"""

from __future__ import annotations

import subprocess
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.audio import (
    AudioClip,
    ffmpeg_exe,
    iter_audio_blocks,
    load_audio,
    load_audio_rates,
    loudness_envelope,
    probe_audio,
)
from studio.doc.errors import InputError

FPS = 25

# name -> (ffmpeg output options, expected sample rate, channels, codec)
FORMATS = {
    "speech.mp3": (["-c:a", "libmp3lame", "-b:a", "96k"], 22050, 1, "mp3"),
    "speech.m4a": (["-c:a", "aac", "-b:a", "128k"], 22050, 1, "aac"),
    "speech.ogg": (["-c:a", "libvorbis"], 22050, 1, "vorbis"),
    "speech.opus": (["-c:a", "libopus", "-b:a", "64k"], 48000, 1, "opus"),
    "speech.flac": (["-c:a", "flac"], 22050, 1, "flac"),
    "speech_48k_stereo.wav": (["-ar", "48000", "-ac", "2"], 48000, 2, "pcm_s16le"),
    "speech_8k.wav": (["-ar", "8000"], 8000, 1, "pcm_s16le"),
    "speech_44k_5.1.flac": (["-ar", "44100", "-ac", "6", "-c:a", "flac"], 44100, 6, "flac"),
}


def ffmpeg(*args: str | Path) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *map(str, args)], check=True)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> Path:
    """Write float samples (n,) or (n, channels) in -1..1 as 16-bit PCM."""
    if samples.ndim == 1:
        samples = samples[:, np.newaxis]
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def encoded(tmp_path_factory, speech_path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    for name, (options, *_) in FORMATS.items():
        ffmpeg("-i", speech_path, *options, folder / name)
    return {name: folder / name for name in FORMATS}


@pytest.fixture(scope="module")
def reference(speech_path) -> AudioClip:
    return load_audio(speech_path)


def test_wav_decodes_to_16k_mono_in_range(speech_path, reference):
    info = probe_audio(speech_path)
    assert (info.sample_rate, info.channels, info.codec) == (22050, 1, "pcm_s16le")
    with wave.open(str(speech_path)) as source:
        true_duration = source.getnframes() / source.getframerate()
    assert info.duration == pytest.approx(true_duration, abs=1e-5)  # to the sample, not to 10 ms
    assert reference.sample_rate == 16000
    assert reference.samples.dtype == np.float32 and reference.samples.ndim == 1
    assert reference.duration == pytest.approx(true_duration, abs=1 / 16000)
    assert np.abs(reference.samples).max() <= 1.0
    assert np.abs(reference.samples).max() > 0.1  # real speech, not silence
    assert reference.path == speech_path


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_decodes_to_the_same_speech(name, encoded, reference):
    _, sample_rate, channels, codec = FORMATS[name]
    info = probe_audio(encoded[name])
    assert (info.sample_rate, info.channels, info.codec) == (sample_rate, channels, codec)
    assert info.duration == pytest.approx(reference.duration, abs=1 / FPS)

    clip = load_audio(encoded[name])
    assert clip.duration == pytest.approx(reference.duration, abs=1 / FPS)
    # Same content, same timing: the loudness envelopes line up frame by frame.
    ours, theirs = loudness_envelope(clip, FPS), loudness_envelope(reference, FPS)
    frames = min(len(ours), len(theirs))
    assert np.corrcoef(ours[:frames], theirs[:frames])[0, 1] > 0.95
    assert np.abs(ours[:frames] - theirs[:frames]).mean() < 0.05


def test_resampling_keeps_pitch_and_level_and_removes_what_16k_cannot_hold(tmp_path):
    rate, seconds = 44100, 2.0
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    above_nyquist = 0.5 * np.sin(2 * np.pi * 11000.0 * t)  # would alias to 5 kHz if not filtered
    path = write_wav(tmp_path / "tones.wav", np.stack([tone, tone], axis=1), rate)
    clip = load_audio(path)
    assert clip.samples.shape[0] == pytest.approx(seconds * 16000, abs=2)
    spectrum = np.abs(np.fft.rfft(clip.samples * np.hanning(len(clip.samples))))
    peak_hz = np.argmax(spectrum) * 16000 / len(clip.samples)
    assert peak_hz == pytest.approx(1000.0, abs=1.0)
    middle = clip.samples[1600:-1600]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)

    high = load_audio(write_wav(tmp_path / "high.wav", above_nyquist, rate))
    assert np.sqrt(np.mean(high.samples[1600:-1600] ** 2)) < 0.01


def test_other_sample_rates_on_request(speech_path, reference):
    clip = load_audio(speech_path, sample_rate=8000)
    assert clip.sample_rate == 8000
    assert clip.duration == pytest.approx(reference.duration, abs=1 / 8000)


def test_clipped_clip_decodes_and_stays_in_range(tmp_path):
    phrase = load_audio(Path(__file__).parent / "data" / "audio" / "phrase.wav")
    clipped = write_wav(tmp_path / "clipped.wav", np.clip(phrase.samples * 20.0, -1.0, 1.0), 16000)
    clip = load_audio(clipped)
    assert clip.duration == pytest.approx(phrase.duration, abs=1 / 16000)
    assert np.abs(clip.samples).max() <= 1.0
    assert np.mean(np.abs(clip.samples) > 0.99) > 0.05  # really clipped


def test_very_short_clip(tmp_path, reference):
    short = write_wav(
        tmp_path / "short.wav", reference.samples[16000 : 16000 + 800], 16000
    )  # 50 ms
    clip = load_audio(short)
    assert clip.duration == pytest.approx(0.05, abs=1e-4)
    assert loudness_envelope(clip, FPS).shape == (2,)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "notes.txt",
            b"remember the milk\n",
            "cannot read audio notes.txt: not an audio file (use wav, mp3",
        ),
        ("speech.wav", b"", "speech.wav has no sound: the file is empty"),
        ("noise.mp3", bytes(range(256)) * 40, "cannot read audio noise.mp3"),
    ],
)
def test_unreadable_files_are_refused_with_their_name(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    for read in (probe_audio, load_audio):
        with pytest.raises(InputError) as error:
            read(path)
        assert str(error.value).startswith(expected)
        assert "\n" not in str(error.value)


def test_missing_file_image_and_header_only_wav_are_refused(tmp_path, portrait_path):
    with pytest.raises(InputError, match=r"cannot read audio gone\.wav: no such file"):
        load_audio(tmp_path / "gone.wav")
    with pytest.raises(
        InputError, match=r"cannot read audio portrait\.jpg: the file has no sound track"
    ):
        load_audio(portrait_path)
    header_only = write_wav(tmp_path / "blank.wav", np.zeros(0), 16000)
    with pytest.raises(InputError, match=r"blank\.wav has no sound"):
        load_audio(header_only)


def test_blocks_stream_the_same_samples(speech_path, reference):
    blocks = list(iter_audio_blocks(speech_path, sample_rate=16000, block_seconds=0.5))
    assert all(block.shape == (8000,) for block in blocks[:-1])
    assert 0 < blocks[-1].shape[0] <= 8000
    np.testing.assert_array_equal(np.concatenate(blocks), reference.samples)


def test_stopping_a_block_stream_early_ends_the_decoder(speech_path):
    stream = iter_audio_blocks(speech_path, block_seconds=0.1)
    first = next(stream)
    stream.close()  # kills ffmpeg; must not hang or raise
    assert first.shape == (1600,)


def test_ten_minute_clip_costs_only_its_samples(tmp_path, speech_path):
    """A 10-minute clip decodes into the final 16 kHz array alone; blocks need a few blocks."""
    long_clip = tmp_path / "long.flac"
    ffmpeg("-stream_loop", "-1", "-i", speech_path, "-t", "600", "-c:a", "flac", long_clip)

    tracemalloc.start()
    try:
        clip = load_audio(long_clip)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clip.samples.shape[0] == pytest.approx(600 * 16000, abs=16)
    assert clip.samples.nbytes == pytest.approx(38.4e6, rel=0.001)
    assert peak < clip.samples.nbytes * 1.05
    del clip

    tracemalloc.start()
    try:
        total = sum(block.shape[0] for block in iter_audio_blocks(long_clip, block_seconds=1.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == pytest.approx(600 * 16000, abs=16)
    assert peak < 1e6


@pytest.mark.parametrize("name", ["speech.mp3", "speech_44k_5.1.flac", "speech.wav"])
def test_one_decode_gives_the_analysis_and_the_playback_copies(name, encoded, speech_path,
                                                               monkeypatch):
    """The studio's drop decodes a clip once (one ffmpeg), and each copy equals the clip
    decoded at that rate alone: the studio's lip sync hears what `studio render` hears."""
    from studio.analysis import audio as audio_module

    path = speech_path if name == "speech.wav" else encoded[name]
    alone = [load_audio(path, rate) for rate in (16000, 44100)]
    started = []
    popen = audio_module.subprocess.Popen

    def counting(command, *args, **kwargs):
        if "f32le" in command:
            started.append(command)
        return popen(command, *args, **kwargs)

    monkeypatch.setattr(audio_module.subprocess, "Popen", counting)
    analysis, playback = load_audio_rates(path, (16000, 44100))
    assert len(started) == 1
    for clip, reference in zip((analysis, playback), alone):
        assert clip.sample_rate == reference.sample_rate
        np.testing.assert_array_equal(clip.samples, reference.samples)
