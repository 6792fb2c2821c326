"""Autosave sidecars of several sessions: each session's own, offered only when it is gone."""

from __future__ import annotations

import os
import subprocess
import sys

from studio.doc.document import Document
from studio.doc.io import save_project
from studio.doc.project import Key, Project
from studio.ui import autosave
from qt_windows import fresh_settings


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def listed(settings, pid: int, sidecar, original) -> None:
    settings.setValue(f"{autosave.GROUP}/{pid}", [str(sidecar), str(original or "")])


def edited(path) -> Document:
    project = Project()
    project.tracks.head_yaw.keys = [Key(1.0, 9.0)]
    save_project(Project(), path)
    return Document(project, path)


def test_a_running_session_keeps_its_sidecar_and_a_gone_one_is_offered(tmp_path):
    settings = fresh_settings(tmp_path)
    mine = autosave.SessionAutosave(settings, on_error=print)
    doc = edited(tmp_path / "a.json")
    sidecar = mine.write(doc).result()
    assert sidecar == tmp_path / "a.autosave.json" and sidecar.is_file()
    # another studio, still running, has b.json's work in its sidecar
    other = edited(tmp_path / "b.json")
    other_sidecar = autosave.sidecar_for(other)
    save_project(other.project, other_sidecar)
    listed(settings, os.getppid(), other_sidecar, other.path)
    assert autosave.orphans(settings) == []
    assert autosave.recoverable(settings, other.path) is None
    # once it is gone, both ways of starting offer it
    gone = dead_pid()
    settings.remove(f"{autosave.GROUP}/{os.getppid()}")
    listed(settings, gone, other_sidecar, other.path)
    assert autosave.orphans(settings) == [autosave.Orphan(other_sidecar, other.path, gone)]
    assert autosave.recoverable(settings, other.path) == other_sidecar
    autosave.answered(settings, other_sidecar, keep=False)
    assert not other_sidecar.exists() and autosave.orphans(settings) == []
    # this session's own sidecar was never touched; a clean close removes it
    assert sidecar.is_file()
    mine.close()
    assert not sidecar.exists()


def test_stale_sidecars_of_projects_that_are_gone_are_cleaned_up(tmp_path):
    settings = fresh_settings(tmp_path)
    doc = edited(tmp_path / "gone.json")
    sidecar = autosave.sidecar_for(doc)
    save_project(doc.project, sidecar)
    listed(settings, dead_pid(), sidecar, doc.path)
    doc.path.unlink()  # the project was deleted since
    assert autosave.orphans(settings) == []
    assert not sidecar.exists()
    settings.beginGroup(autosave.GROUP)
    assert settings.childKeys() == []


def test_an_older_sidecar_than_the_project_is_not_offered(tmp_path):
    settings = fresh_settings(tmp_path)
    doc = edited(tmp_path / "c.json")
    sidecar = autosave.sidecar_for(doc)
    save_project(doc.project, sidecar)
    os.utime(sidecar, (1_000_000, 1_000_000))  # saved after the autosave
    assert autosave.recoverable(settings, doc.path) is None
