"""The kinds of file the studio opens, by suffix: one list each.

A drop, a file chooser, the welcome page, the command line's help and every refusal read these,
so what is accepted and what a message says is accepted cannot disagree. The audio decoder
(ffmpeg, studio/analysis/audio.py) reads every container listed; the portrait reader
(studio/analysis/image_io.py) every image.
"""

from __future__ import annotations

IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
AUDIO_SUFFIXES: tuple[str, ...] = (".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac")
PROJECT_SUFFIXES: tuple[str, ...] = (".json",)  # what File > Open and Save offer, too


def named(suffixes: tuple[str, ...]) -> str:
    """'wav, mp3, ... or flac': the suffixes as a sentence names them."""
    names = [s.lstrip(".") for s in suffixes]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


AUDIO_FORMATS = named(AUDIO_SUFFIXES)  # "wav, mp3, m4a, aac, ogg, opus or flac"
