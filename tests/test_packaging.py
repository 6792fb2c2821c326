"""What the standalone bundle relies on, checked on the source tree in every `make test`.

The bundle itself is built and run by `make package-test` (minutes); these checks catch the
mistakes that would break it cheaply: a resource found through a source-tree path, a data file
left out of the package, a version that disagrees with pyproject.toml, a diffusion renderer that
fails obscurely when its packages are missing, a broken desktop entry or icon set.
"""

from __future__ import annotations

import configparser
import json
import shutil
import struct
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

import studio
from studio import resources
from studio.doc.io import load_project
from studio.render.diffusion.availability import missing_message, missing_note, missing_packages
from studio.render.diffusion.manifests import available_presets

ROOT = Path(__file__).resolve().parent.parent
STUDIO_EXE = Path(sys.executable).with_name("studio")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# Makes torch and diffusers look uninstalled in a child interpreter, as in a bundle built
# without DIFFUSION=1.
HIDE_DIFFUSION = textwrap.dedent("""
    import sys

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "diffusers"):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, Hide())
    from studio.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def studio_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(STUDIO_EXE), *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_version_is_the_one_in_pyproject():
    version = PYPROJECT["project"]["version"]
    assert studio.__version__ == version
    result = studio_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"studio {version}"


def test_resources_and_models_are_the_top_level_folders_of_a_checkout():
    for path in (resources.SAMPLE_PORTRAIT, resources.SAMPLE_SPEECH, resources.SAMPLE_TRANSCRIPT,
                 resources.SAMPLE_PROJECT, resources.APP_ICON):
        assert path.is_file(), path
        assert path.is_relative_to(ROOT / "resources"), path
    assert resources.MODELS_DIR == ROOT / "models"
    assert resources.default_weights_dir() == ROOT / "models"
    assert sorted(available_presets()) == ["sd15-mediapipe-face", "sd15-mediapipe-face-lcm",
                                           "tiny"]
    assert len(list(resources.STYLE_PRESETS_DIR.glob("*.json"))) == 5


# Run in a child interpreter from an unpacked wheel, far from the source tree: where
# studio.resources finds each file, and the presets and manifests read through it.
FROM_THE_WHEEL = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import studio
    from studio import resources
    from studio.conditioning.styles import builtin_preset
    from studio.render.diffusion.manifests import available_presets, load_preset
    builtin_preset("calm")
    load_preset("sd15-mediapipe-face")
    paths = [resources.SAMPLE_PORTRAIT, resources.SAMPLE_SPEECH, resources.SAMPLE_TRANSCRIPT,
             resources.SAMPLE_PROJECT, resources.APP_ICON, resources.STYLE_PRESETS_DIR,
             resources.MODELS_DIR]
    print(json.dumps({"package": studio.__file__, "paths": [str(p) for p in paths],
                      "exist": all(p.exists() for p in paths), "presets": available_presets(),
                      "weights": str(resources.default_weights_dir())}))
""")


def test_resources_and_models_are_found_from_an_installed_wheel(tmp_path):
    """The wheel carries resources/ and models/ inside the package (setup.py), and
    studio.resources finds them there: every file it can point at ships, and nothing else of
    models/ (weights put there stay out)."""
    source = tmp_path / "source"  # a clean copy: no build/ or egg-info left from earlier builds
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("studio", "resources", "models"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    (source / "models" / "weights").mkdir()
    (source / "models" / "weights" / "unet.safetensors").write_bytes(b"not for the wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=300)
    wheel = next(tmp_path.glob("talking_portrait_studio-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    package = Path(studio.__file__).resolve().parent
    shipped = {p: "studio/" + p.relative_to(package).as_posix()
               for p in [*(package / "ui" / "icons").glob("*.svg"),
                         package / "doc" / "project.schema.json"]}
    for folder, name in ((ROOT / "resources", "_resources"), (ROOT / "models", "_models")):
        shipped.update({p: f"studio/{name}/{p.relative_to(folder).as_posix()}"
                        for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts
                        and (folder.name != "models" or p.parent == folder)})
    assert not [path for path in shipped.values() if path not in names]
    assert not [n for n in names if "weights" in n or n.startswith(("resources/", "models/"))]

    unpacked = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(unpacked)
    result = subprocess.run([sys.executable, "-c", FROM_THE_WHEEL, str(unpacked)],
                            capture_output=True, text=True, timeout=120, check=False,
                            cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(unpacked)
    assert found["exist"]
    assert all(Path(p).is_relative_to(unpacked / "studio") for p in found["paths"])
    assert found["presets"] == sorted(available_presets())
    assert found["weights"] == "None"  # site-packages is no place for weights


def test_sample_project_opens_with_its_media_and_direction():
    project = load_project(resources.SAMPLE_PROJECT)
    assert Path(project.portrait) == resources.SAMPLE_PORTRAIT
    assert Path(project.audio) == resources.SAMPLE_SPEECH
    assert project.frame_count() == 330
    assert project.render.renderer == "mesh"
    tracks = project.tracks
    assert max(abs(k.v) for k in tracks.head_yaw.keys) >= 5  # the sample turns its head
    assert any(k.emotion == "happy" and k.intensity > 0 for k in tracks.emotion)
    assert any(b.source == "user" for b in tracks.blinks)
    assert len(tracks.visemes) > 50  # lip sync is stored, so opening it needs no alignment


def test_info_reports_this_installation():
    result = studio_cli("info")
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert rows["version"] == studio.__version__
    assert Path(rows["data"]) == resources.RESOURCES_DIR
    assert Path(rows["ffmpeg"]).is_file()
    assert rows["diffusion"] == "ready"  # the development install has torch and diffusers


def test_missing_diffusion_packages_are_named_with_what_to_install(monkeypatch):
    assert missing_packages() == []
    assert missing_message() is None
    message = missing_message(["torch", "diffusers"])
    assert "torch, diffusers" in message
    assert "torch==2.13.0" in message and "diffusers==0.42.1" in message
    assert "make package DIFFUSION=1" in message
    assert missing_note() is None
    assert missing_note(["torch", "diffusers"]).startswith(
        "The diffusion renderer needs torch and diffusers, which this build leaves out")


def test_render_without_diffusion_packages_refuses_before_any_work(tmp_path):
    out = tmp_path / "clip.mp4"
    result = subprocess.run(
        [sys.executable, "-c", HIDE_DIFFUSION, "render", "--project",
         str(resources.SAMPLE_PROJECT), "--renderer", "diffusion", "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.count("\n") == 0
    assert "needs torch, diffusers" in line and "DIFFUSION=1" in line
    assert not out.exists() and not list(tmp_path.iterdir())

    info = subprocess.run([sys.executable, "-c", HIDE_DIFFUSION, "info"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert "diffusion  not installed: the diffusion renderer needs torch, diffusers" in info.stdout


def test_desktop_entry_names_the_application_and_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "linux" / "talking-portrait-studio.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "Talking Portrait Studio"
    assert desktop["Icon"] == "talking-portrait-studio"
    assert desktop["Exec"].split()[:2] == ["TalkingPortraitStudio", "gui"]
    assert desktop["Terminal"] == "false"
    assert set(desktop["Categories"].rstrip(";").split(";")) >= {"AudioVideo", "Video"}


@pytest.mark.parametrize("size", [16, 48, 256])
def test_icon_set_is_rendered_from_the_svg(tmp_path_factory, size):
    out = tmp_path_factory.getbasetemp() / "icon-set"
    if not out.exists():
        subprocess.run([sys.executable, str(ROOT / "packaging" / "icons.py"), str(out)],
                       check=True, capture_output=True, timeout=120)
    png = out / "hicolor" / f"{size}x{size}" / "apps" / "talking-portrait-studio.png"
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (size, size)
    assert (out / "hicolor" / "scalable" / "apps" / "talking-portrait-studio.svg").is_file()
