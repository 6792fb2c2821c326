"""The studio's Help > Diffusion Models page, written from the model manifests (models/*.json).

What to download for each preset, where to get it, its licence, and where to put it, so the
page never disagrees with what the loader checks. models/README.md says the same for readers of
the source.
"""

from __future__ import annotations

from html import escape

from studio.render.diffusion.manifests import MODELS_ENV, available_presets, load_preset
from studio.render.diffusion.models_command import HF
from studio.resources import default_weights_dir

TITLE = "Diffusion Models"


def _source_link(source: str) -> str:
    repo, _, rest = source.partition(" ")
    return f"<a href='{HF}{escape(repo)}'>{escape(repo)}</a> {escape(rest)}".strip()


def models_help_html() -> str:
    default = default_weights_dir()
    where = (f"the studio's own models folder, <code>{escape(str(default))}</code>, when it holds "
             "every file of the preset; or " if default is not None else "")
    parts = [
        "<p>The diffusion renderer refines the mesh render with Stable Diffusion 1.5 and a "
        "face-mesh ControlNet. It never downloads anything: download the files of a preset "
        "below into a <b>models folder</b>, then choose that folder with <b>Models folder &gt; "
        "Choose…</b> in the inspector's diffusion settings.</p>",
        f"<p>The studio looks in: the folder chosen in the inspector; the <code>{MODELS_ENV}"
        f"</code> environment variable; {where}for <i>tiny</i>, its cache.</p>",
        "<p>To see what a folder holds, run <code>studio models check DIR</code>: found or "
        "missing per component, with sizes and sha256.</p>",
    ]
    for name in available_presets():
        preset = load_preset(name)
        if preset.built_in:
            continue
        rows = "".join(
            f"<tr><td>{escape(c.what)}</td><td><code>{escape(c.folder)}</code></td>"
            f"<td>{_source_link(c.source)}</td><td>{escape(c.licence)}</td></tr>"
            for c in preset.components.values()
        )
        parts.append(
            f"<h3>{escape(name)}</h3><p>{escape(preset.description)}</p>"
            "<table cellpadding='3'><tr><th align='left'>component</th><th align='left'>put it in"
            "</th><th align='left'>get it from (Hugging Face)</th><th align='left'>licence</th>"
            f"</tr>{rows}</table>"
        )
    parts.append(
        "<h3>tiny</h3><p>Built into the studio: random weights that show the pipeline working "
        "(a test pattern, not a picture of the portrait). Nothing to download; MIT, like the "
        "studio.</p>"
        "<p>Weights may be <code>.safetensors</code> (preferred) or <code>.bin</code>. Read each "
        "licence, and the OpenRAIL use restrictions, before distributing what you make.</p>"
    )
    return "".join(parts)
