"""The headless engine: one project in, frames or a finished clip out, without Qt.

`studio render`, `studio init`, the studio's export and the preview worker's scene and signals
all go through it, so they give the same frames for the same project:

    analysis = analyze(project, log, cancel)        # audio decoded once; portrait beside it
    controls = controls_for(project, analysis)      # one ControlFrame per frame, built lazily
    renderer = prepare_renderer(project, analysis.rig)
    frames = render_frames(renderer, controls)      # ordered, on every core, bounded in flight
    render_project(project, Output(path), analysis=analysis, progress=..., cancel=...)

Progress is `progress(done, total)`; cancel is any `() -> bool` (a CancelToken is one), polled
between frames; a cancelled or failed render leaves no partial file. Names are imported on
first use, so `import studio.engine` costs nothing that a caller does not need.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Analysis": "inputs", "analyze": "inputs", "analyze_audio": "inputs",
    "check_inputs": "inputs",
    "Cancel": "cancel", "CancelToken": "cancel", "Log": "cancel", "Progress": "cancel",
    "check_cancel": "cancel",
    "controls_for": "controls",
    "fill_automatic_tracks": "autofill", "save_project_file": "autofill", "set_style": "autofill",
    "prepare_renderer": "frames", "render_frames": "frames", "render_workers": "frames",
    "Output": "pipeline", "output_format": "pipeline",
    "render_project": "pipeline",
    "load_project": "project_file",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'studio.engine' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"studio.engine.{module}"), name)
    globals()[name] = value
    return value
