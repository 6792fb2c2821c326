"""An ffmpeg process that takes raw frames on a pipe and writes one output in any export format.

Frames go to ffmpeg's stdin as they are rendered, so memory stays flat however long the clip.
This is the one place that builds ffmpeg command lines for export.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.analysis.audio import ffmpeg_exe
from studio.doc.errors import InputError
from studio.export.formats import SEQUENCE_PATTERN, ExportFormat

# x264 and the PNG encoder use frame threads; more than this only adds latency and memory on
# the small machines the studio targets, while the renderer needs the other cores.
MAX_ENCODER_THREADS = 4
_STDERR_TAIL_LINES = 15


class EncoderError(RuntimeError):
    """ffmpeg failed while exporting; the message ends with the tail of its log."""


class DiskFullError(EncoderError, InputError):
    """ffmpeg ran out of disk space: one line for the user (exit 2), not ffmpeg's log."""

    def __init__(self, message: str) -> None:
        InputError.__init__(self, message)


# ENOSPC and EDQUOT as ffmpeg's log words them
_DISK_FULL = ("No space left on device", "Disk quota exceeded")
_PR_SET_PDEATHSIG = 1


def parent_death_signal():
    """A preexec function that makes the kernel kill ffmpeg when the studio dies, however it
    dies (SIGKILL included): ffmpeg runs in a session of its own, so nothing else would stop it
    finishing a playable partial file. Linux only; elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return die_with_parent


def frame_rate(fps: float) -> Fraction:
    """An exact rational rate, so 29.97 becomes 30000/1001 and 25 stays 25/1."""
    return Fraction(fps).limit_denominator(1001)


def encoder_command(
    fmt: ExportFormat,
    target: Path,
    *,
    width: int,
    height: int,
    channels: int,
    fps: float,
    frame_count: int,
    audio_path: Path | None = None,
    threads: int | None = None,
) -> list[str]:
    """The ffmpeg command line that encodes raw uint8 RGB(A) frames from stdin into `target`.

    The audio input is cut to the video's length (frame_count / fps) so the file never runs
    past its last frame; both inputs start at zero, so audio sample 0 plays with frame 0.
    `threads`: the encoder's threads (default: one per core, at most MAX_ENCODER_THREADS).
    """
    rate = frame_rate(fps)
    threads = str(threads or min(os.cpu_count() or 1, MAX_ENCODER_THREADS))
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgba" if channels == 4 else "rgb24",
        "-video_size", f"{width}x{height}", "-framerate", f"{rate.numerator}/{rate.denominator}",
        "-i", "pipe:0",
    ]  # fmt: skip
    with_audio = audio_path is not None and bool(fmt.audio_args)
    if with_audio:
        duration = frame_count / float(rate)
        command += ["-t", f"{duration:.6f}", "-i", str(audio_path)]
    command += ["-map", "0:v:0"]
    if with_audio:
        command += ["-map", "1:a:0", *fmt.audio_args]
    filters = []
    if fmt.even_size and (width % 2 or height % 2):
        filters.append("crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0")
    if fmt.yuv:
        filters.append("scale=out_color_matrix=bt709:out_range=tv")
        filters.append("setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv")
    if filters:
        command += ["-vf", ",".join(filters)]
    command += [
        *fmt.video_args,
        "-pix_fmt",
        fmt.pix_fmt,
        "-threads",
        threads,
        "-fps_mode",
        "passthrough",
    ]
    output = target / SEQUENCE_PATTERN if fmt.is_sequence else target
    command += ["-f", fmt.muxer, *fmt.muxer_args, str(output)]
    return command


class FrameEncoder:
    """One running ffmpeg export: write frames, then finish() or abort().

    stderr goes to a temporary file rather than a pipe (a full pipe would stall ffmpeg); its
    tail explains a failure. ffmpeg runs in its own session so a terminal Ctrl-C reaches only
    the studio, which then aborts the export cleanly.
    """

    def __init__(self, command: list[str], target_name: str) -> None:
        self._target_name = target_name
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
            preexec_fn=parent_death_signal(),
        )

    def write(self, frame: np.ndarray) -> None:
        try:
            self._process.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
        except BrokenPipeError:
            self._process.wait()
            raise self._failure() from None

    def finish(self) -> None:
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg exited early; its exit status below says why
        returncode = self._process.wait()
        if returncode != 0:
            raise self._failure()
        self._log.close()

    def abort(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # already dead: nothing more to flush
        self._process.wait()
        self._log.close()

    def _failure(self) -> EncoderError:
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", errors="replace").strip().splitlines()
        if any(words in line for line in lines for words in _DISK_FULL):
            return DiskFullError(
                f"disk full writing {self._target_name}: free some space or choose another "
                "folder (nothing was written)")
        tail = "\n".join(lines[-_STDERR_TAIL_LINES:]) or "(no message)"
        return EncoderError(
            f"ffmpeg failed (exit {self._process.returncode}) writing {self._target_name}:\n{tail}"
        )
