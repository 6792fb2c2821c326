"""Chunks of a clip (studio.export.chunks): even frame ranges, PNG chunks numbered on, and a
join that fails leaving nothing at the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.export import FORMATS, EncoderError, export_clip
from studio.export.chunks import chunk_format, chunk_ranges, join_chunks


@pytest.mark.parametrize("frames,size", [(1, 250), (249, 100), (500, 250), (1001, 250), (77, 7)])
def test_chunk_ranges_cover_every_frame_once_without_slivers(frames, size):
    ranges = chunk_ranges(frames, size)
    assert ranges[0][0] == 0 and ranges[-1][1] == frames - 1
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))
    lengths = [end + 1 - start for start, end in ranges]
    assert max(lengths) - min(lengths) <= 1
    assert len(ranges) == max(1, frames // size)


def test_a_chunk_is_silent_with_closed_gops():
    mp4 = chunk_format(FORMATS["mp4"])
    assert mp4.audio_args == () and "+cgop" in mp4.video_args and mp4.suffix == ".mp4"
    assert chunk_format(FORMATS["png"]) is FORMATS["png"]


def test_the_encoder_runs_the_threads_it_is_given(tmp_path, monkeypatch):
    """A chunk's encoder runs one thread (its task holds one CPU); an export, one per core."""
    import subprocess

    from studio.export import encoder

    started: list[list[str]] = []
    real = subprocess.Popen

    def popen(command, *args, **kwargs):
        started.append(list(command))
        return real(command, *args, **kwargs)

    monkeypatch.setattr(encoder.subprocess, "Popen", popen)
    monkeypatch.setattr(encoder.os, "cpu_count", lambda: 2)
    for threads in (1, None):
        out = export_clip(frames(3, 0), tmp_path / f"{threads}.mp4", fps=25, frame_count=3,
                          format=chunk_format(FORMATS["mp4"]), encoder_threads=threads)
        assert out.is_file()
    given = [command[command.index("-threads") + 1] for command in started
             if "-threads" in command]
    assert given == ["1", "2"]


def frames(count: int, shade: int) -> list[np.ndarray]:
    return [np.full((16, 16, 3), (shade + 10 * i) % 256, np.uint8) for i in range(count)]


def test_png_chunks_are_numbered_on(tmp_path):
    chunks = [export_clip(frames(n, 40 * k), tmp_path / f"chunk{k}", fps=25, frame_count=n)
              for k, n in enumerate((3, 2))]
    out = join_chunks(chunks, tmp_path / "out" / "frames", FORMATS["png"], fps=25,
                      frame_count=5)
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{i:05d}.png" for i in range(5)]


def test_a_failed_join_leaves_nothing(tmp_path):
    broken = tmp_path / "chunk.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(EncoderError, match="joining 1 chunks into clip.mp4"):
        join_chunks([broken], tmp_path / "out" / "clip.mp4", FORMATS["mp4"], fps=25,
                    frame_count=1)
    assert list((tmp_path / "out").iterdir()) == []
