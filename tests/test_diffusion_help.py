"""Help > Diffusion Models (the page written from the manifests, and opened in the studio by a
person) and the attention settings' check boxes: tests/gui_diffusion_scenarios.py in a child
process, offscreen."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from studio.render.diffusion.help_page import models_help_html
from test_gui_scenarios import analysis_file  # noqa: F401 - the sample's analysis, made once
from studio.render.diffusion.manifests import available_presets, load_preset

SCRIPT = Path(__file__).with_name("gui_diffusion_scenarios.py")


def test_the_page_names_every_downloadable_component_where_to_put_it_and_its_licence():
    page = models_help_html()
    for name in available_presets():
        preset = load_preset(name)
        if preset.built_in:
            assert "Nothing to download" in page
            continue
        assert f"<h3>{name}</h3>" in page
        for component in preset.components.values():
            repo = component.source.split(" ")[0]
            assert f"href='https://huggingface.co/{repo}'" in page, component.name
            assert f"<code>{component.folder}</code>" in page, component.name
            assert component.licence in page, component.name


def test_help_diffusion_models_opens_from_the_menu(tmp_path):
    nothing_analysed = tmp_path / "none.pickle"  # the scenario starts an empty studio
    nothing_analysed.write_bytes(pickle.dumps(None))
    result = subprocess.run([sys.executable, str(SCRIPT), "help_diffusion_models", str(tmp_path),
                             str(nothing_analysed)],
                            capture_output=True, text=True, timeout=240,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0 and "scenario passed" in result.stdout, (
        f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")


def test_the_attention_settings_are_check_boxes_a_person_clicks(tmp_path, analysis_file):  # noqa: F811
    result = subprocess.run([sys.executable, str(SCRIPT), "attention_settings_by_their_check_boxes",
                             str(tmp_path), str(analysis_file)],
                            capture_output=True, text=True, timeout=240,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0 and "scenario passed" in result.stdout, (
        f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
