"""A chunked clip's sound, encoded while its chunks render, so the join only copies it.

The voice is muxed once over the joined chunks (studio.export.chunks). Encoded by the join,
after the last chunk has arrived, AAC at 48 kHz costs about 1.5 s of CPU for a minute of
voice, every bit of it on the batch's critical path. Here one ffmpeg encodes it beside the
chunks' render instead, with the output's own audio settings, cut to the clip's length as the
join would cut it, and the join is given a format that copies the encoded track: the same
sound, at no cost once the last chunk is in.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from studio.analysis.audio import ffmpeg_exe
from studio.export.encoder import EncoderError, frame_rate
from studio.export.formats import ExportFormat

_COPY = ("-c:a", "copy")


class EarlyAudio:
    """The voice of one chunked job, being encoded into `folder`."""

    def __init__(self, audio: Path, fmt: ExportFormat, *, fps: float, frame_count: int,
                 folder: Path) -> None:
        self.fmt = fmt
        self.path = folder / f"voice{fmt.suffix}"
        duration = frame_count / float(frame_rate(fps))
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                   "-t", f"{duration:.6f}", "-i", str(audio), "-map", "0:a:0",
                   *fmt.audio_args, "-f", fmt.muxer, str(self.path)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @staticmethod
    def wanted(audio: str | None, fmt: ExportFormat) -> bool:
        """Whether the output has a sound track to encode (not a PNG sequence)."""
        return audio is not None and bool(fmt.audio_args) and not fmt.is_sequence

    def result(self) -> tuple[Path, ExportFormat]:
        """The encoded voice and the output's format that copies it, once ffmpeg is done."""
        _, errors = self.process.communicate()
        if self.process.returncode != 0:
            tail = "\n".join(errors.decode("utf-8", "replace").strip().splitlines()[-15:])
            raise EncoderError(f"ffmpeg failed (exit {self.process.returncode}) encoding "
                               f"the voice {self.path.name}:\n{tail or '(no message)'}")
        return self.path, replace(self.fmt, audio_args=_COPY)

    def stop(self) -> None:
        """Stop the encoder (a failed or cancelled job) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
