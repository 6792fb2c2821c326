"""The output formats a clip can be exported to, and how an output path picks one.

Each format is data (codec, pixel format, muxer, audio codec), so the ffmpeg command is built in
one place (studio.export.encoder) for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.doc.errors import InputError


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str
    suffix: str  # "" for an image sequence, which is written as a folder
    alpha: bool  # frames must be RGBA; the output keeps the transparency
    video_args: tuple[str, ...]
    pix_fmt: str
    muxer: str
    muxer_args: tuple[str, ...] = ()
    audio_args: tuple[str, ...] = ()  # empty: the format carries no audio
    yuv: bool = False  # converted from RGB with the BT.709 matrix and tagged so players agree
    even_size: bool = False  # chroma subsampled 2x2: odd widths/heights lose their last pixel

    @property
    def is_sequence(self) -> bool:
        return not self.suffix


SEQUENCE_PATTERN = "frame_%05d.png"
# zlib level 1: five times faster than ffmpeg's default for files about 7% larger.
PNG_ARGS = ("-c:v", "png", "-compression_level", "1")

FORMATS: dict[str, ExportFormat] = {
    fmt.name: fmt
    for fmt in (
        ExportFormat(
            name="mp4",
            description="H.264 MP4 with AAC audio, plays everywhere",
            suffix=".mp4",
            alpha=False,
            # veryfast with the diamond motion search, one subpixel refinement and the intra
            # partitions only: a third less x264 time for the same picture (PSNR and SSIM within
            # 0.03 dB / 0.0003 of plain veryfast on a rendered clip), files about 25% bigger
            # (docs/benchmarks.md, issue 12).
            video_args=("-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                        "-x264-params", "me=dia:subme=1:partitions=i8x8,i4x4"),
            pix_fmt="yuv420p",
            muxer="mp4",
            muxer_args=("-movflags", "+faststart"),
            # 48 kHz, the rate of video: AAC cannot carry every source rate (192 kHz, odd rates).
            audio_args=("-c:a", "aac", "-b:a", "192k", "-ar", "48000"),
            yuv=True,
            even_size=True,
        ),
        ExportFormat(
            name="mov",
            description="ProRes 4444 MOV with alpha, for compositing",
            suffix=".mov",
            alpha=True,
            video_args=("-c:v", "prores_ks", "-profile:v", "4444", "-vendor", "apl0"),
            pix_fmt="yuva444p10le",
            muxer="mov",
            audio_args=("-c:a", "pcm_s16le"),
            yuv=True,
        ),
        ExportFormat(
            name="png",
            description="PNG sequence, a folder of frame_00000.png ...",
            suffix="",
            alpha=False,
            video_args=PNG_ARGS,
            pix_fmt="rgb24",
            muxer="image2",
            muxer_args=("-start_number", "0"),
        ),
        ExportFormat(
            name="png-alpha",
            description="PNG sequence with a transparent background",
            suffix="",
            alpha=True,
            video_args=PNG_ARGS,
            pix_fmt="rgba",
            muxer="image2",
            muxer_args=("-start_number", "0"),
        ),
    )
}


def resolve_format(out_path: str | Path, format: str | ExportFormat | None = None) -> ExportFormat:
    """The format given (a FORMATS name, or an ExportFormat such as a chunk's from
    studio.export.chunks), else the one the path's extension implies (none: PNG folder)."""
    out_path = Path(out_path)
    if isinstance(format, ExportFormat):
        return format
    if format is not None:
        if format not in FORMATS:
            names = ", ".join(FORMATS)
            raise InputError(
                f"cannot export {out_path.name}: unknown format '{format}' (use one of {names})"
            )
        return FORMATS[format]
    suffix = out_path.suffix.lower()
    for fmt in FORMATS.values():
        if suffix == fmt.suffix:
            return fmt
    raise InputError(
        f"cannot export {out_path.name}: unsupported extension '{suffix}' "
        "(use .mp4, .mov for ProRes with alpha, or a folder name without extension for PNG frames)"
    )
