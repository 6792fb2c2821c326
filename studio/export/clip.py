"""Frames + audio -> a file: the one entry point the command line and the studio export through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from studio.doc.errors import Cancelled
from studio.export.destination import check_output, commit, discard, make_temporary
from studio.export.encoder import FrameEncoder, encoder_command
from studio.export.formats import ExportFormat


def export_clip(
    frames: Iterable[np.ndarray],
    out_path: str | Path,
    *,
    fps: float,
    frame_count: int,
    audio_path: str | Path | None = None,
    format: str | ExportFormat | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    encoder_threads: int | None = None,
) -> Path:
    """Encode `frame_count` frames (H x W x 3 RGB or H x W x 4 RGBA uint8) with the original audio.

    Frames are pulled one at a time and streamed to ffmpeg. `cancel` is asked before every frame
    and raises Cancelled when it returns True; `progress(done, total)` is told after every frame.
    The output appears at `out_path` only when complete: on any failure or cancel the previous
    file there is untouched and no partial file remains. Formats with alpha need RGBA frames.
    `encoder_threads`: the encoder's threads (default: one per core, studio.export.encoder).
    """
    # 1. check inputs and the destination before any frame is rendered
    out_path = Path(out_path)
    if frame_count < 1:
        raise ValueError(f"frame_count must be >= 1, got {frame_count}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    fmt = check_output(out_path, format)
    audio = Path(audio_path) if audio_path is not None else None

    # 2. the first frame fixes the size and channels of the raw stream
    frame_iter = iter(frames)
    if cancel is not None and cancel():
        raise Cancelled()
    first = next(frame_iter, None)
    if first is None:
        raise ValueError("export_clip received no frames")
    shape = first.shape
    if first.dtype != np.uint8 or first.ndim != 3 or shape[2] not in (3, 4):
        raise ValueError(f"frames must be H x W x 3 or 4 uint8, got {first.dtype} {shape}")
    if fmt.alpha and shape[2] != 4:
        raise ValueError(f"{fmt.name} keeps transparency: render RGBA frames (with_alpha=True)")

    # 3. stream every frame to the encoder, then swap the finished output into place
    temporary = make_temporary(out_path, fmt)
    encoder = None
    try:
        command = encoder_command(
            fmt, temporary, width=shape[1], height=shape[0], channels=shape[2],
            fps=fps, frame_count=frame_count, audio_path=audio, threads=encoder_threads,
        )  # fmt: skip
        encoder = FrameEncoder(command, out_path.name)
        done = 0
        frame = first
        while frame is not None:
            if done == frame_count:
                raise ValueError(f"more frames than frame_count ({frame_count})")
            if frame.shape != shape or frame.dtype != np.uint8:
                raise ValueError(
                    f"frame {done} is {frame.dtype} {frame.shape}, expected uint8 {shape}"
                )
            encoder.write(frame)
            done += 1
            if progress is not None:
                progress(done, frame_count)
            if cancel is not None and cancel():
                raise Cancelled()
            frame = next(frame_iter, None)
        if done != frame_count:
            raise ValueError(f"got {done} frames, expected frame_count = {frame_count}")
        encoder.finish()
        encoder = None
        commit(temporary, out_path)
    finally:
        if encoder is not None:
            encoder.abort()
        discard(temporary)
    return out_path
