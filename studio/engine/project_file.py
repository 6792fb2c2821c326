"""A project file as the command line and the studio open it: the document's own checks (its
schema, studio.doc.io), then each renderer's settings against what the renderer declares
(studio.render.registry). A file the studio cannot render is refused when it is opened, with
one line naming the file and the key, not when its first frame is drawn."""

from __future__ import annotations

import os
from pathlib import Path

from studio.doc import io as doc_io
from studio.doc.project import Project
from studio.render.registry import check_render_settings


def load_project(path: str | os.PathLike[str]) -> Project:
    project = doc_io.load_project(path)
    check_render_settings(project.render, Path(path).name)
    return project
