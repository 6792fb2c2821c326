"""Exports that go wrong: nothing partial is left, nothing existing replaced; bad paths refused."""

from __future__ import annotations

import os
import stat
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.doc.errors import Cancelled, InputError
from studio.export import EncoderError, check_output, export_clip

FPS = 25
PREVIOUS = b"the export from yesterday, which must survive"


@pytest.fixture(scope="module")
def portrait(portrait_path) -> np.ndarray:
    return np.asarray(Image.open(portrait_path).convert("RGB"))


def frames_of(image: np.ndarray, count: int):
    for _ in range(count):
        yield image


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mov", "frames"])
def test_cancel_midway_leaves_the_previous_output_alone(tmp_path, portrait, name):
    out = tmp_path / name
    if name == "frames":
        out.mkdir()
        (out / "frame_00000.png").write_bytes(PREVIOUS)
    else:
        out.write_bytes(PREVIOUS)
    rgba = np.dstack([portrait, np.full(portrait.shape[:2], 255, np.uint8)])
    image = rgba if name.endswith(".mov") else portrait
    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done == 10:
            stop.set()

    with pytest.raises(Cancelled):
        export_clip(
            frames_of(image, 100),
            out,
            fps=FPS,
            frame_count=100,
            progress=progress,
            cancel=stop.is_set,
        )
    assert seen == [(i, 100) for i in range(1, 11)]
    assert folder_listing(tmp_path) == [name]  # no temporary left beside it
    if name == "frames":
        assert folder_listing(out) == ["frame_00000.png"]
        assert (out / "frame_00000.png").read_bytes() == PREVIOUS
    else:
        assert out.read_bytes() == PREVIOUS


def test_cancel_before_the_first_frame(tmp_path, portrait):
    with pytest.raises(Cancelled):
        export_clip(
            frames_of(portrait, 5),
            tmp_path / "clip.mp4",
            fps=FPS,
            frame_count=5,
            cancel=lambda: True,
        )
    assert folder_listing(tmp_path) == []


def test_encoder_failure_reports_ffmpeg_and_leaves_nothing(tmp_path, portrait):
    out = tmp_path / "clip.mp4"
    out.write_bytes(PREVIOUS)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio at all\n")
    with pytest.raises(EncoderError) as error:
        export_clip(frames_of(portrait, 50), out, fps=FPS, frame_count=50, audio_path=notes)
    message = str(error.value)
    assert "ffmpeg failed" in message and "clip.mp4" in message
    assert "notes.txt" in message  # ffmpeg's own stderr, saying what it could not open
    assert out.read_bytes() == PREVIOUS
    assert folder_listing(tmp_path) == ["clip.mp4", "notes.txt"]


def test_renderer_crash_midway_leaves_nothing(tmp_path, portrait):
    def crashing():
        yield from frames_of(portrait, 5)
        raise RuntimeError("renderer exploded")

    with pytest.raises(RuntimeError, match="renderer exploded"):
        export_clip(crashing(), tmp_path / "clip.mp4", fps=FPS, frame_count=20)
    assert folder_listing(tmp_path) == []


@pytest.mark.parametrize("count", [19, 21])
def test_wrong_number_of_frames_is_an_error_not_a_short_clip(tmp_path, portrait, count):
    with pytest.raises(ValueError, match="frame"):
        export_clip(frames_of(portrait, count), tmp_path / "clip.mp4", fps=FPS, frame_count=20)
    assert folder_listing(tmp_path) == []


def test_alpha_formats_need_rgba_frames(tmp_path, portrait):
    with pytest.raises(ValueError, match="RGBA"):
        export_clip(frames_of(portrait, 3), tmp_path / "matte.mov", fps=FPS, frame_count=3)
    assert folder_listing(tmp_path) == []


def test_successful_export_replaces_the_previous_file_and_folder(tmp_path, portrait):
    out = tmp_path / "clip.mp4"
    out.write_bytes(PREVIOUS)
    export_clip(frames_of(portrait, 5), out, fps=FPS, frame_count=5)
    assert out.read_bytes()[4:8] == b"ftyp"
    umask = os.umask(0)
    os.umask(umask)
    assert (
        stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    )  # an ordinary file, not a private temp

    frames = tmp_path / "frames"
    export_clip(frames_of(portrait, 5), frames, fps=FPS, frame_count=5)
    export_clip(frames_of(portrait, 3), frames, fps=FPS, frame_count=3)
    assert folder_listing(frames) == [
        f"frame_{i:05d}.png" for i in range(3)
    ]  # no stale frames 3, 4
    assert folder_listing(tmp_path) == ["clip.mp4", "frames"]


def test_missing_folders_are_created(tmp_path, portrait):
    out = export_clip(frames_of(portrait, 2), tmp_path / "out" / "demo.mp4", fps=FPS, frame_count=2)
    assert out.is_file()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("clip.avi", r"cannot export clip\.avi: unsupported extension '\.avi' \(use \.mp4"),
        ("clip.gif", r"cannot export clip\.gif: unsupported extension"),
    ],
)
def test_unsupported_extension_is_refused(tmp_path, name, message):
    with pytest.raises(InputError, match=message):
        check_output(tmp_path / name)


def test_unknown_explicit_format_is_refused(tmp_path):
    with pytest.raises(
        InputError, match=r"unknown format 'webm' \(use one of mp4, mov, png, png-alpha\)"
    ):
        check_output(tmp_path / "clip", format="webm")


def test_explicit_format_overrides_the_extension(tmp_path):
    assert check_output(tmp_path / "clip.mov", format="mp4").name == "mp4"
    assert check_output(tmp_path / "renders").name == "png"


def test_unwritable_destination_is_refused_before_rendering(tmp_path, portrait):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    rendered = []

    def frames():
        rendered.append(True)
        yield portrait

    with pytest.raises(
        InputError, match=r"cannot write clip\.mp4: the folder .*not_a_folder cannot be created"
    ):
        export_clip(frames(), blocker / "clip.mp4", fps=FPS, frame_count=1)
    assert rendered == []


def test_frames_never_overwrite_a_folder_of_other_files(tmp_path, portrait):
    photos = tmp_path / "holiday"
    photos.mkdir()
    (photos / "beach.jpg").write_bytes(b"precious")
    with pytest.raises(
        InputError, match=r"cannot write frames to holiday: the folder holds other files"
    ):
        export_clip(frames_of(portrait, 2), photos, fps=FPS, frame_count=2)
    assert folder_listing(photos) == ["beach.jpg"]
    (tmp_path / "clip.mp4").mkdir()
    with pytest.raises(InputError, match=r"cannot write clip\.mp4: a folder with that name exists"):
        check_output(tmp_path / "clip.mp4")


def test_memory_stays_flat_however_long_the_clip(tmp_path):
    """200 s of video streams through: Python holds one frame at a time, not the clip."""
    rng = np.random.default_rng(0)
    tile = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    count = 5000  # 5000 x 36 KB = 184 MB if anything kept the frames

    def frames():
        for index in range(count):
            yield np.roll(tile, index, axis=1)

    tracemalloc.start()
    try:
        export_clip(frames(), tmp_path / "long.mp4", fps=FPS, frame_count=count)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2e6
