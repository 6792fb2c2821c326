"""Frames + audio -> files: H.264 MP4, ProRes 4444 MOV with alpha, PNG sequences."""

from studio.export.clip import export_clip
from studio.export.destination import check_output
from studio.export.encoder import EncoderError
from studio.export.formats import FORMATS, ExportFormat, resolve_format

__all__ = [
    "FORMATS",
    "EncoderError",
    "ExportFormat",
    "check_output",
    "export_clip",
    "resolve_format",
]
