"""Voice clips in, float samples out: decoding through the ffmpeg binary that imageio-ffmpeg ships.

One decoder for every container and codec (wav, mp3, m4a/aac, ogg/opus, flac) at any sample rate
and channel count, so analysis never depends on which audio libraries a machine happens to have.
Analysis works on a 16 kHz mono copy; the original file is kept for export. ffmpeg's output is read
straight into the final array block by block, so a 10-minute clip costs its 16 kHz mono samples
(about 38 MB) and nothing more.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.file_kinds import AUDIO_FORMATS as SUPPORTED_FORMATS

ANALYSIS_SAMPLE_RATE = 16000

# Below this RMS level a frame is silence whatever the clip's own level (digital silence, hiss).
# Low enough that a recording 30 dB too quiet still animates like a normal one.
SILENCE_GATE_DB = -70.0
# The envelope spans this many dB below the clip's speech level; quieter frames read as closed.
ENVELOPE_RANGE_DB = 30.0
# The clip's speech level: this percentile of the frames within ENVELOPE_RANGE_DB of the loudest,
# so that neither one shout or click nor long stretches of room tone set the scale.
SPEECH_LEVEL_PERCENTILE = 95.0

_BYTES_PER_SAMPLE = 4  # float32
_NAMED_LAYOUTS = {
    "mono": 1,
    "stereo": 2,
    "downmix": 2,
    "binaural": 2,
    "quad": 4,
    "hexagonal": 6,
    "octagonal": 8,
    "hexadecagonal": 16,
}


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    duration: float  # seconds: exact for PCM, FLAC, AAC in MP4 and Opus; mp3 within ~10 ms
    sample_rate: int  # Hz, of the file itself
    channels: int
    codec: str  # ffmpeg's decoder name: pcm_s16le, mp3, aac, opus, vorbis, flac, ...


@dataclass
class AudioClip:
    samples: np.ndarray  # (n,) float32 mono in -1..1
    sample_rate: int
    path: Path  # the original file, which export muxes untouched

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (imported lazily: it searches the disk)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe_audio(path: str | Path) -> AudioInfo:
    """Read an audio file's stream description, refusing with one clear line what cannot be decoded.

    One ffmpeg run that copies the audio packets to nowhere without decoding them: the header
    gives rate, layout and codec, the last packet's end time gives the duration to the sample
    (the header's own duration is rounded to 10 ms, which can shift the frame count by one).
    """
    path = Path(path)
    _check_file(path)
    result = subprocess.run(
        [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path),
            "-map", "0:a:0?", "-c", "copy", "-f", "null", "-", "-progress", "pipe:1",
        ],  # fmt: skip
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    report = result.stderr.decode("utf-8", errors="replace")
    if "Input #0" not in report:
        raise InputError(
            f"cannot read audio {path.name}: not an audio file (use {SUPPORTED_FORMATS})"
        )
    stream = re.search(
        r"^\s*Stream #0:\d+\S*: Audio: (?P<codec>[^\s,]+)[^,]*, "
        r"(?P<rate>\d+) Hz, (?P<layout>[^,\n]+)",
        report,
        flags=re.MULTILINE,
    )
    if stream is None:
        raise InputError(
            f"cannot read audio {path.name}: the file has no sound track (use {SUPPORTED_FORMATS})"
        )
    sample_rate = int(stream["rate"])
    end = re.findall(
        r"^out_time_us=(\d+)$", result.stdout.decode("ascii", errors="replace"), flags=re.MULTILINE
    )
    if end:
        duration = int(end[-1]) / 1e6
    else:
        duration = _count_samples(path, sample_rate) / sample_rate
    if duration <= 0:
        raise InputError(f"{path.name} has no sound: the file holds no audio samples")
    return AudioInfo(
        path=path,
        duration=duration,
        sample_rate=sample_rate,
        channels=_channel_count(stream["layout"].strip(), path),
        codec=stream["codec"],
    )


def iter_audio_blocks(
    path: str | Path, sample_rate: int = ANALYSIS_SAMPLE_RATE, block_seconds: float = 1.0
) -> Iterator[np.ndarray]:
    """Yield the clip as consecutive float32 mono blocks of `block_seconds` (the last may be short).

    Only one block is alive at a time, so consumers that keep running statistics (loudness,
    pitch tracks) can analyse clips of any length in constant memory.
    """
    path = Path(path)
    probe_audio(path)
    block_bytes = max(1, round(block_seconds * sample_rate)) * _BYTES_PER_SAMPLE
    with _decoder(path, (sample_rate,)) as (stdout,):
        while True:
            block = np.empty(block_bytes // _BYTES_PER_SAMPLE, dtype=np.float32)
            with memoryview(block) as buffer, buffer.cast("B") as view:
                filled = _read_into(stdout, view)
            if filled == 0:
                return
            block = block[: filled // _BYTES_PER_SAMPLE]
            np.clip(block, -1.0, 1.0, out=block)
            yield block
            if filled < block_bytes:
                return


def load_audio(path: str | Path, sample_rate: int = ANALYSIS_SAMPLE_RATE) -> AudioClip:
    """Decode a whole clip to float32 mono at `sample_rate` for analysis."""
    return load_audio_rates(path, (sample_rate,))[0]


def load_audio_rates(path: str | Path, rates: tuple[int, ...]) -> list[AudioClip]:
    """The clip decoded once and resampled to each of `rates` (the studio's analysis copy and
    the sound card's copy come from one decode), float32 mono each.

    Each array is sized from the probed duration and ffmpeg writes into it directly; it grows
    only if the probe underestimated, and is trimmed in place at the end.
    """
    path = Path(path)
    info = probe_audio(path)
    with _decoder(path, rates) as streams:
        if len(streams) == 1:
            filled = [_read_clip(streams[0], info.duration, rates[0])]
        else:
            from concurrent.futures import ThreadPoolExecutor

            # ffmpeg writes the outputs in turn: each pipe needs a reader of its own
            with ThreadPoolExecutor(len(streams) - 1, thread_name_prefix="studio-decode") as pool:
                others = [pool.submit(_read_clip, stream, info.duration, rate)
                          for stream, rate in zip(streams[1:], rates[1:])]
                filled = [_read_clip(streams[0], info.duration, rates[0])]
                filled += [future.result() for future in others]
    clips = []
    for samples, rate in zip(filled, rates):
        if samples.shape[0] == 0:
            raise InputError(f"{path.name} has no sound: the file holds no audio samples")
        np.clip(samples, -1.0, 1.0, out=samples)
        clips.append(AudioClip(samples=samples, sample_rate=rate, path=path))
    return clips


def _read_clip(stream: BinaryIO, duration: float, sample_rate: int) -> np.ndarray:
    """All of one decoder output, read straight into one growing float32 array."""
    capacity = math.ceil(duration * sample_rate) + sample_rate // 10 + 1
    samples = np.empty(capacity, dtype=np.float32)
    filled_bytes = 0
    while True:
        with memoryview(samples) as buffer, buffer.cast("B") as view:
            filled_bytes += _read_into(stream, view[filled_bytes:])
        if filled_bytes < samples.nbytes:
            break
        samples.resize(samples.shape[0] + max(sample_rate, samples.shape[0] // 4), refcheck=False)
    samples.resize(filled_bytes // _BYTES_PER_SAMPLE, refcheck=False)
    return samples


def loudness_envelope(clip: AudioClip, fps: float) -> np.ndarray:
    """Speech loudness per output frame in 0..1: what opens the mouth before visemes exist.

    The level is measured in dB (hearing is logarithmic), frames under an absolute silence gate
    are 0, and the scale is set by the clip's own speech level, so a quiet recording animates as
    much as a loud one. Frame i covers [i/fps, (i+1)/fps); there are ceil(duration * fps) frames.
    """
    frame_count = max(1, math.ceil(round(clip.duration * fps, 6)))  # as Project.frame_count
    level_db = _frame_levels_db(clip.samples, clip.sample_rate, fps, frame_count)
    voiced = level_db > SILENCE_GATE_DB
    envelope = np.zeros(frame_count, dtype=np.float32)
    if not voiced.any():
        return envelope
    near_loudest = level_db > max(SILENCE_GATE_DB, level_db.max() - ENVELOPE_RANGE_DB)
    speech_db = float(np.percentile(level_db[near_loudest], SPEECH_LEVEL_PERCENTILE))
    floor_db = speech_db - ENVELOPE_RANGE_DB
    scaled = (level_db - floor_db) / ENVELOPE_RANGE_DB
    envelope[voiced] = np.clip(scaled[voiced], 0.0, 1.0)
    return envelope


def performance_from_audio(clip: AudioClip, fps: float) -> Performance:
    """The automatic signals that loudness alone can give; lip sync and prosody add the rest."""
    return Performance(fps=fps, loudness=loudness_envelope(clip, fps))


def _frame_levels_db(
    samples: np.ndarray, sample_rate: int, fps: float, frame_count: int
) -> np.ndarray:
    """RMS level in dBFS of each frame's span, in chunks: long clips need no full-size temporary."""
    edges = np.minimum(
        np.round(np.arange(frame_count + 1) * sample_rate / fps).astype(np.int64), samples.shape[0]
    )
    levels = np.empty(frame_count, dtype=np.float64)
    chunk_frames = 1024
    for first in range(0, frame_count, chunk_frames):
        last = min(first + chunk_frames, frame_count)
        start, stop = edges[first], edges[last]
        energy = np.zeros(stop - start + 1, dtype=np.float64)
        np.cumsum(np.square(samples[start:stop], dtype=np.float64), out=energy[1:])
        lo = edges[first:last] - start
        hi = edges[first + 1 : last + 1] - start
        width = np.maximum(hi - lo, 1)
        levels[first:last] = (energy[hi] - energy[lo]) / width
    return 10.0 * np.log10(levels + 1e-12)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"cannot read audio {path.name}: no such file ({path})")
    if path.is_dir():
        raise InputError(f"cannot read audio {path.name}: it is a folder, not an audio file")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read audio {path.name}: permission denied")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} has no sound: the file is empty")


def _channel_count(layout: str, path: Path) -> int:
    """ffmpeg prints a layout name ('stereo', '5.1(side)', '3 channels'); turn it into a count."""
    if layout in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[layout]
    counted = re.fullmatch(r"(\d+) channels.*", layout)
    if counted:
        return int(counted.group(1))
    numbered = re.fullmatch(r"(\d+(?:\.\d+)+)(?:\(.*\))?", layout)
    if numbered:
        return sum(int(part) for part in numbered.group(1).split("."))
    raise InputError(f"cannot read audio {path.name}: unknown channel layout '{layout}'")


def _count_samples(path: Path, sample_rate: int) -> int:
    """Decode once to count samples, for streams whose header does not give a length."""
    total = 0
    chunk = bytearray(1 << 16)
    with _decoder(path, (sample_rate,)) as (stdout,):
        while got := _read_into(stdout, memoryview(chunk)):
            total += got
    return total // _BYTES_PER_SAMPLE


@contextmanager
def _decoder(path: Path, rates: tuple[int, ...]) -> Iterator[list[BinaryIO]]:
    """Run one ffmpeg decoding the first audio stream to raw float32 mono at each of `rates`,
    yielding one pipe per rate (stdout for the first).

    stderr goes to a temporary file (a pipe could fill up and stall the decoder). The process
    gets its own session so Ctrl-C reaches only us, and is killed if the consumer stops early.
    """
    # rematrix_maxval=1 mixes channels down without gain (ffmpeg's default adds 3 dB for
    # stereo, which clips a full-scale recording); aresample also does the rate conversion.
    chain = ("aresample={}:rematrix_maxval=1,"
             "aformat=sample_fmts=flt:channel_layouts=mono")
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path)]
    pipes = [os.pipe() for _ in rates[1:]]
    if not pipes:
        command += ["-map", "0:a:0", "-af", chain.format(rates[0]), "-f", "f32le", "pipe:1"]
    else:  # one decode, split, one resampler per rate
        split = f"[0:a:0]asplit={len(rates)}" + "".join(f"[s{i}]" for i in range(len(rates)))
        graph = [split] + [f"[s{i}]{chain.format(rate)}[o{i}]" for i, rate in enumerate(rates)]
        command += ["-filter_complex", ";".join(graph)]
        targets = ["pipe:1"] + [f"pipe:{write}" for _, write in pipes]
        for i, target in enumerate(targets):
            command += ["-map", f"[o{i}]", "-f", "f32le", target]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
                pass_fds=[write for _, write in pipes],
            )
        finally:
            for _, write in pipes:
                os.close(write)
        streams = [process.stdout] + [os.fdopen(read, "rb") for read, _ in pipes]
        finished = False
        try:
            yield streams
            finished = True
        finally:
            if not finished:
                process.kill()
            for stream in streams:
                stream.close()
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", errors="replace").strip().splitlines()[-1:]
            reason = tail[0] if tail else f"ffmpeg exited with {returncode}"
            raise InputError(f"cannot read audio {path.name}: decoding failed ({reason})")


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    """Fill `view` from a pipe, returning fewer bytes than its length only at end of stream."""
    filled = 0
    while filled < len(view):
        got = stream.readinto(view[filled:])
        if not got:
            break
        filled += got
    return filled
