"""Scenarios of the diffusion renderer's parts of the studio, run as tests/gui_scenarios.py runs
its own (a child process each, input events on real widgets):

    python tests/gui_diffusion_scenarios.py NAME WORKDIR ANALYSIS.pickle

(these scenarios start an empty studio: the analysis may be a pickled None)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from gui_scenarios import SCENARIOS, Setting, main  # noqa: E402

DIFFUSION: dict = {}  # registered with gui_scenarios' SCENARIOS only in the child process


def scenario(fn):
    DIFFUSION[fn.__name__] = fn
    return fn


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
    person.click(box.button(QMessageBox.Close))
    person.wait_until(lambda: not box.isVisible(), 10, "the page to close")


if __name__ == "__main__":
    SCENARIOS.update(DIFFUSION)
    sys.exit(main(sys.argv[1:]))
