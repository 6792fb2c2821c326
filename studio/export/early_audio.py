"""The output's sound track, encoded while the frames are still being prepared, so that the
video encoder only copies it.

Encoded by the video's own ffmpeg, AAC at 48 kHz is about half a second of CPU for 20 seconds
of voice, spent while the frames render and both cores are busy. Started before the analysis
instead, one ffmpeg encodes it with the output's own audio settings while the command line is
still importing and the portrait is being analysed (single-threaded stretches), and the
encoder is given a format that copies the encoded track: the same sound, cut the same way.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from studio.analysis.audio import ffmpeg_exe
from studio.export.encoder import EncoderError, parent_death_signal, frame_rate
from studio.export.formats import ExportFormat

_COPY = ("-c:a", "copy")


class EarlyAudio:
    """The voice for one output, being encoded into `folder`: from `start` seconds, for
    `frame_count` frames at `fps` (None: to the end of the clip, which the clip's frames
    always cover)."""

    def __init__(self, audio: Path, fmt: ExportFormat, *, fps: float, folder: Path,
                 start: float = 0.0, frame_count: int | None = None) -> None:
        self.fmt = fmt
        self.path = folder / f"voice{fmt.suffix}"
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        if start > 0:
            command += ["-ss", f"{start:.6f}"]
        if frame_count is not None:
            command += ["-t", f"{frame_count / float(frame_rate(fps)):.6f}"]
        command += ["-i", str(audio), "-map", "0:a:0", *fmt.audio_args, "-f", fmt.muxer,
                    str(self.path)]
        # like the video's encoder: Ctrl-C reaches only the studio, and ffmpeg dies with it
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True,
                                        preexec_fn=parent_death_signal())

    @staticmethod
    def wanted(audio: str | Path | None, fmt: ExportFormat) -> bool:
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
        """Stop the encoder if it is still running (a failed or cancelled render) and reap it."""
        if self.process.returncode is not None:  # reaped by result()
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()
