"""Reading exported media back in tests: ffmpeg's description, the decoded frames and sound."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np

from studio.analysis.audio import ffmpeg_exe


def describe(path: Path) -> str:
    """ffmpeg's own description of a media file (what ffprobe would print)."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                            text=True, check=False)
    return result.stderr


def _decoded(path: Path, *output_args: str) -> bytes:
    return subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), *output_args, "pipe:1"],
                          capture_output=True, check=True).stdout


def decode_video(path: Path, pix_fmt: str = "rgb24") -> np.ndarray:
    channels = {"rgb24": 3, "rgba": 4}[pix_fmt]
    size = re.search(r"Video: .*?, (\d+)x(\d+)", describe(path))
    width, height = int(size[1]), int(size[2])
    raw = _decoded(path, "-f", "rawvideo", "-pix_fmt", pix_fmt)
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, channels)


def decode_audio(path: Path, sample_rate: int = 48000) -> np.ndarray:
    raw = _decoded(path, "-vn", "-ac", "1", "-ar", str(sample_rate), "-f", "f32le")
    return np.frombuffer(raw, np.float32)


def frame_count(path: Path) -> int:
    """Frames in the first video stream, counted by decoding them (no frames kept)."""
    result = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                             "-f", "null", "-c:v", "rawvideo", "-", "-stats"],
                            capture_output=True, text=True)
    frames = [line for line in result.stderr.replace("\r", "\n").splitlines() if "frame=" in line]
    return int(frames[-1].split("frame=")[1].split()[0])


def write_beep(path: Path, seconds: float, onset: float, rate: int = 48000) -> Path:
    """A mono 16-bit WAV, silent until `onset` seconds and a 1 kHz beep after: for checking
    where an export's sound starts."""
    t = np.arange(int(seconds * rate)) / rate
    beep = np.where(t >= onset, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((beep * 32767).astype("<i2").tobytes())
    return path
