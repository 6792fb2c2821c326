"""The renderer registry: every renderer declares what callers need, and the declarations hold."""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest

from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import InputError
from studio.doc.project import Project, RenderSettings
from studio.render import registry
from studio.render.registry import create_renderer, renderer_kind, renderer_names

KINDS = registry.all_kinds()


def test_the_mesh_renderer_is_listed_first_as_the_default():
    assert renderer_names()[0] == registry.default_renderer() == "mesh"
    assert len(set(renderer_names())) == len(renderer_names()) >= 2


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_defaults_pass_the_kinds_own_checks_and_schema(kind):
    defaults = kind.defaults()
    assert kind.resolve({}) == defaults
    jsonschema.Draft202012Validator(kind.json_schema()).validate(defaults)
    for setting in kind.settings:
        assert setting.label and setting.help, setting.name
        assert setting.flag is None or setting.flag.startswith("--")


@pytest.mark.parametrize("kind", [k for k in KINDS if k.settings], ids=lambda k: k.name)
def test_a_number_out_of_range_is_refused_with_its_setting_and_range(kind):
    for setting in kind.settings:
        if setting.type not in ("int", "float"):
            continue
        low, high = setting.bounds()
        for bad in (high + 1, low - 1, float("nan")):
            with pytest.raises(InputError) as error:
                kind.resolve({setting.name: bad})
            message = str(error.value)
            assert f"render.{kind.name}.{setting.name}" in message and "\n" not in message
            assert setting.range_words() in message
        for bad in (high + 1, low - 1):  # NaN is not JSON: the loader refuses it earlier
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate({setting.name: bad}, kind.json_schema())


def test_an_unknown_renderer_or_setting_is_refused():
    with pytest.raises(InputError, match="unknown renderer 'oil': use one of mesh, diffusion"):
        renderer_kind("oil")
    with pytest.raises(KeyError):
        renderer_kind("diffusion").resolve({"sampler": "euler"})


def test_the_scene_key_follows_the_settings_and_the_seed_only_where_they_matter():
    mesh, diffusion = renderer_kind("mesh"), renderer_kind("diffusion")
    assert mesh.scene_key({}, 1) == mesh.scene_key({}, 2)
    assert diffusion.scene_key({}, 1) != diffusion.scene_key({}, 2)
    assert diffusion.scene_key({"steps": 8}, 1) == diffusion.scene_key({}, 1)
    assert diffusion.scene_key({"steps": 9}, 1) != diffusion.scene_key({}, 1)


def test_an_uninstalled_renderer_says_what_to_install(monkeypatch):
    monkeypatch.setattr("studio.render.diffusion.availability.missing_packages",
                        lambda: ["torch", "diffusers"])
    kind = renderer_kind("diffusion")
    assert "pip install torch==" in kind.unavailable()
    with pytest.raises(InputError, match="the mesh renderer works without them"):
        create_renderer(RenderSettings("diffusion"), 0)


def test_the_mesh_renderer_implements_the_whole_protocol(sample_rig):
    renderer = create_renderer(RenderSettings("mesh"), 0)
    renderer.prepare(sample_rig, 96, 96)
    frames = [ControlFrame(), ControlFrame(yaw=20.0)]
    batch = renderer.render_batch(frames, preview=lambda event: pytest.fail("no previews"))
    assert renderer.batch_size == 1 and len(batch) == 2
    assert all(np.array_equal(a, renderer.render(f)) for a, f in zip(batch, frames))
    assert not np.array_equal(batch[0], batch[1])
    landmarks = renderer.posed_landmarks(frames[1])
    assert landmarks.shape == (478, 2)


def test_flags_name_one_setting_each_across_renderers():
    flags = [s.flag for kind in KINDS for s in kind.settings if s.flag]
    assert len(flags) == len(set(flags))


@pytest.mark.parametrize(("stored", "expected"), [
    ({"diffusion": {"steps": 0}}, "talk.json: render.diffusion.steps: must be >= 1"),
    ({"diffusion": {"model": "../../x"}}, "talk.json: render.diffusion.model: must be a preset name"),
    ({"diffusion": {"sampler": "euler"}}, "talk.json: render.diffusion.sampler: unknown key"),
    ({"oil": {}}, "talk.json: render.oil: settings of an unknown renderer"),
])
def test_a_project_files_renderer_settings_are_checked_when_it_is_opened(tmp_path, stored,
                                                                         expected):
    from studio.doc.io import save_project
    from studio.engine import load_project

    path = tmp_path / "talk.json"
    save_project(Project(render=RenderSettings("mesh", stored)), path)
    with pytest.raises(InputError) as error:
        load_project(path)
    assert str(error.value).startswith(expected), str(error.value)


def test_nothing_outside_a_renderers_package_names_it():
    """Callers read the registry: the renderer names appear in the registry's list of packages,
    in each renderer's own package, and as the file format's default, nowhere else in studio/."""
    import re
    from pathlib import Path

    import studio

    root = Path(studio.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("render/diffusion/") or relative in (
                "render/registry.py", "render/mesh_kind.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"[\"']diffusion[\"']|\.diffusion\b|render\.diffusion", line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
