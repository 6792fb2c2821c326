"""What travels between the queue and a Ray worker: input files and rendered chunks as bytes.

Workers need no shared file system: a job's portrait and voice go to the worker that analyses
them, and a chunk (a file, or a folder of PNG frames) comes back to the machine that joins it.
"""

from __future__ import annotations

import copy
from pathlib import Path

from studio.doc.project import Project

Payload = dict[str, bytes]  # a file: {"": data}; a folder: {file name: data}


def pack(path: Path) -> Payload:
    """A rendered file or folder of frames as bytes."""
    if path.is_dir():
        return {entry.name: entry.read_bytes() for entry in sorted(path.iterdir())}
    return {"": path.read_bytes()}


def unpack(payload: Payload, path: Path) -> Path:
    """Write what pack() read to `path` (a file, or a folder for frames)."""
    if set(payload) == {""}:
        path.write_bytes(payload[""])
        return path
    path.mkdir()
    for name, data in payload.items():
        (path / Path(name).name).write_bytes(data)
    return path


def input_files(project: Project) -> dict[str, tuple[str, bytes]]:
    """The project's inputs to send with its task: role -> (file name, contents)."""
    files = {}
    for role in ("portrait", "audio"):
        path = getattr(project, role)
        if path:
            files[role] = (Path(path).name, Path(path).read_bytes())
    return files


def with_inputs_in(project: Project, files: dict[str, tuple[str, bytes]], folder: Path
                   ) -> Project:
    """A copy of the project that reads the sent inputs from `folder`."""
    local = copy.copy(project)
    for role, (name, data) in files.items():
        path = folder / role
        path.mkdir(exist_ok=True)
        (path / name).write_bytes(data)
        setattr(local, role, str(path / name))
    return local
