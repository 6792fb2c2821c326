"""`studio info`: what a bug report or a packaging check needs to know about this copy."""

from __future__ import annotations

import sys
from pathlib import Path

from studio import __version__


def installation_report() -> str:
    from studio.analysis.audio import ffmpeg_exe
    from studio.render.registry import all_kinds
    from studio.resources import RESOURCES_DIR, log_dir

    frozen = getattr(sys, "frozen", False)
    rows = [
        ("version", __version__),
        ("running", f"standalone bundle {Path(sys.executable).parent}" if frozen
         else f"Python {sys.version.split()[0]} {sys.executable}"),
        ("data", str(RESOURCES_DIR)),
        ("ffmpeg", ffmpeg_exe()),
    ]
    for kind in all_kinds():
        missing = kind.unavailable()
        rows.append((kind.name, "ready" if missing is None else f"not installed: {missing}"))
        rows.extend(kind.report())
    rows.append(("logs", str(log_dir())))
    return "\n".join(f"{name:<10} {value}" for name, value in rows)
