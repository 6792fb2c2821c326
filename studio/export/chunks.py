"""A long clip in pieces: each chunk encoded on its own, then joined without encoding again.

A chunk is a run of frames encoded with the output's own video settings, without sound, as a
closed GOP that starts on a key frame, so the chunks of one clip can be rendered on different
machines and put end to end by ffmpeg's concat demuxer with `-c copy`. The voice is muxed once,
over the whole joined clip, so it never has a seam. PNG sequences are joined by numbering the
chunks' frames on. The joined output appears only once complete, like every export.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from studio.analysis.audio import ffmpeg_exe
from studio.doc.errors import Cancelled
from studio.export.destination import check_output, commit, discard, make_temporary
from studio.export.encoder import EncoderError, frame_rate
from studio.export.formats import SEQUENCE_PATTERN, ExportFormat

# x264's default GOP is 250 frames, open GOPs off; +cgop states it so no chunk's first frames
# refer to the previous chunk, whatever the preset.
_CLOSED_GOP = {"mp4": ("-flags", "+cgop")}


def chunk_format(fmt: ExportFormat) -> ExportFormat:
    """How a chunk of an output in `fmt` is encoded: the same codec and settings, no sound, a
    closed GOP. A PNG sequence's chunk is a PNG sequence."""
    if fmt.is_sequence:
        return fmt
    return replace(fmt, name=f"{fmt.name}-chunk", audio_args=(), muxer_args=(),
                   video_args=fmt.video_args + _CLOSED_GOP.get(fmt.name, ()))


def chunk_ranges(frame_count: int, chunk_frames: int) -> list[tuple[int, int]]:
    """The clip's frames as (first, last) inclusive ranges of about `chunk_frames` each: as many
    chunks as fit, the frames shared out evenly, so no chunk is a sliver."""
    if frame_count < 1 or chunk_frames < 1:
        raise ValueError(f"need frames and a chunk size, got {frame_count} and {chunk_frames}")
    count = max(1, frame_count // chunk_frames)
    bounds = [frame_count * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(count)]


def join_chunks(chunks: list[Path], out_path: Path, fmt: ExportFormat, *, fps: float,
                frame_count: int, audio_path: Path | None = None) -> Path:
    """Put the chunks (files or PNG folders, in order) end to end at `out_path`, with the sound
    muxed once. Nothing appears at `out_path` unless the whole clip was written."""
    out_path = Path(out_path)
    check_output(out_path, fmt)
    temporary = make_temporary(out_path, fmt)
    try:
        if fmt.is_sequence:
            _number_on(chunks, temporary)
        else:
            _concatenate(chunks, temporary, out_path.name, fmt, fps, frame_count, audio_path)
        commit(temporary, out_path)
    finally:
        discard(temporary)
    return out_path


def _number_on(chunks: list[Path], folder: Path) -> None:
    index = 0
    for chunk in chunks:
        for frame in sorted(chunk.iterdir()):
            shutil.move(frame, folder / (SEQUENCE_PATTERN % index))
            index += 1


def _concatenate(chunks: list[Path], target: Path, name: str, fmt: ExportFormat, fps: float,
                 frame_count: int, audio_path: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="studio-join-") as scratch:
        listing = Path(scratch) / "chunks.txt"
        listing.write_text("".join(f"file '{_quoted(chunk)}'\n" for chunk in chunks),
                           encoding="utf-8")
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "concat", "-safe", "0", "-i", str(listing)]
        with_audio = audio_path is not None and bool(fmt.audio_args)
        if with_audio:
            duration = frame_count / float(frame_rate(fps))
            command += ["-t", f"{duration:.6f}", "-i", str(audio_path)]
        command += ["-map", "0:v:0", "-c:v", "copy"]
        if with_audio:
            command += ["-map", "1:a:0", *fmt.audio_args]
        command += ["-f", fmt.muxer, *fmt.muxer_args, str(target)]
        result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    if result.returncode != 0:
        if result.returncode < 0:
            raise Cancelled()
        tail = "\n".join(result.stderr.strip().splitlines()[-15:]) or "(no message)"
        raise EncoderError(f"ffmpeg failed (exit {result.returncode}) joining "
                           f"{len(chunks)} chunks into {name}:\n{tail}")


def _quoted(path: Path) -> str:
    """A path as the concat demuxer's list reads it: absolute, single quotes escaped."""
    return os.fspath(Path(path).absolute()).replace("'", "'\\''")
