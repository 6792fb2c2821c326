"""Scenarios of the diffusion renderer's parts of the studio, run as tests/gui_scenarios.py runs
its own (a child process each, input events on real widgets):

    python tests/gui_diffusion_scenarios.py NAME WORKDIR ANALYSIS.pickle

(help_diffusion_models starts an empty studio: its analysis may be a pickled None)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from gui_scenarios import Setting, main, scenario_group  # noqa: E402
from studio.render.registry import settings_of  # noqa: E402

DIFFUSION, scenario = scenario_group()  # run by this file only


@scenario
def help_diffusion_models(setting: Setting) -> None:
    """Help > Diffusion Models… chosen with the mouse: what to download, where from, where to
    put it and under which licence; closed with its Close button."""
    person = setting.start()
    w = person.window
    person.menu("Help", "Diffusion Models")
    person.wait_until(lambda: w.help_box is not None and w.help_box.isVisible(), 10, "the page")
    box = w.help_box
    assert box.windowTitle() == "Diffusion Models", box.windowTitle()
    text = box.text()
    for expected in ("sd15-mediapipe-face", "sd15-mediapipe-face-lcm",
                     "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5",
                     "https://huggingface.co/CrucibleAI/ControlNetMediaPipeFace",
                     "https://huggingface.co/latent-consistency/lcm-lora-sdv1-5",
                     "<code>ControlNetMediaPipeFace/diffusion_sd15</code>",
                     "CreativeML OpenRAIL-M", "OpenRAIL++", "MIT (OpenAI CLIP)",
                     "Models folder &gt; Choose…", "STUDIO_MODELS", "studio models check DIR",
                     "test pattern"):
        assert expected in text, expected
    # the page fits on the screen (it was 1243 px tall on a 1000 px screen, its Close button
    # off the bottom): the text scrolls instead
    screen = w.screen().availableGeometry()
    assert box.frameGeometry().height() <= screen.height(), (box.frameGeometry(), screen)
    bar = box.browser.verticalScrollBar()
    assert bar.maximum() > 0  # the page is long: it scrolls
    person.click(box.close_button)
    person.wait_until(lambda: not box.isVisible(), 10, "the page to close")


@scenario
def attention_settings_by_their_check_boxes(setting: Setting) -> None:
    """The diffusion group's Reference attention and Cross-frame attention boxes, clicked: the
    project's settings follow, and Undo takes each back."""
    person = setting.loaded()
    w = person.window
    inspector = w.inspector
    person.choose(inspector.renderer, "diffusion")
    fields = inspector.renderer_forms["diffusion"].fields
    for name in ("reference_attention", "cross_frame"):
        assert settings_of(w.project.render)[name] is False, name
        person.click(fields[name])
        person.wait_until(lambda n=name: settings_of(w.project.render)[n] is True, 10, name)
    assert fields["reference_attention"].text() == "Keep the portrait's identity"
    person.menu("Edit", "Undo")
    person.wait_until(lambda: settings_of(w.project.render)["cross_frame"] is False, 10, "the undo")
    assert settings_of(w.project.render)["reference_attention"] is True
    person.choose(inspector.renderer, "mesh")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], DIFFUSION))
