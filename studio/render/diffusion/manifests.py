"""Model presets: which weight folders a diffusion preset needs, read from models/*.json.

A preset is data, not code, so a user can see (and a maintainer can review) exactly which files
are expected under the models folder and under which licence each component is distributed. The
check runs before anything heavy is imported, and a missing or incomplete folder produces one
message that lists every missing file and what it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from studio.doc.errors import InputError
from studio.resources import MODELS_DIR, cache_dir, default_weights_dir

MODELS_ENV = "STUDIO_MODELS"
# How the command line names a models folder; the studio says where its own control is instead
CHOOSE_MODELS_DIR = f"pass --models DIR or set {MODELS_ENV}"
SCHEDULERS: tuple[str, ...] = ("ddim", "lcm")


@dataclass(frozen=True)
class Component:
    name: str
    what: str
    licence: str
    files: tuple[tuple[str, ...], ...]  # each entry: alternatives, any one of which will do
    optional: bool = False
    source: str = ""  # where to get it: a Hugging Face repository (and subfolder); "" if built in

    @property
    def folder(self) -> str:
        """The component's folder inside the models folder: where its first file lives."""
        return str(Path(self.files[0][0]).parent)


_NAMED = 2  # missing files named in the message of an incomplete folder (more: counted)


def _named(absent: list[tuple[Component, list[tuple[str, ...]]]]) -> list[str]:
    """'path (what)' for each absent file (its alternatives joined by 'or')."""
    return [f"{' or '.join(alternatives)} ({comp.what})"
            for comp, files in absent for alternatives in files]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    built_in: bool
    scheduler: str  # "ddim", or "lcm" with an LCM LoRA
    prompt: str
    components: dict[str, Component]

    def missing_files(self, root: Path) -> list[str]:
        """'path (what)' for every required file absent under root."""
        return _named(self._absent(root))

    def _absent(self, root: Path) -> list[tuple[Component, list[tuple[str, ...]]]]:
        """Each required component that lacks files under root, with those files (each a
        tuple of alternatives)."""
        found = ((comp, [alternatives for alternatives in comp.files
                         if not any((root / f).is_file() for f in alternatives)])
                 for comp in self.components.values() if not comp.optional)
        return [(comp, absent) for comp, absent in found if absent]

    def check_folder(self, root: Path) -> None:
        if not root.is_dir():
            raise InputError(
                f"models folder {root} does not exist: create it and put the '{self.name}' "
                f"weights there (see models/README.md), or {CHOOSE_MODELS_DIR}"
            )
        absent = self._absent(root)
        missing = _named(absent)
        if len(missing) > _NAMED:
            # one line that stays readable in a dialog: the count and the components, and
            # the command that lists every file with where to get it
            parts = list(dict.fromkeys(comp.what for comp, _ in absent))
            raise InputError(
                f"models folder {root} is incomplete for preset '{self.name}': "
                f"{len(missing)} of {self.required_count()} files missing, for the "
                f"{', '.join(parts)}; 'studio models check' on the folder lists each file "
                "with where to get it (Help > Diffusion Models)"
            )
        if missing:
            raise InputError(
                f"models folder {root} is incomplete for preset '{self.name}': missing "
                + "; ".join(missing) + " (see Help > Diffusion Models or models/README.md)"
            )

    def required_count(self) -> int:
        """Files the preset needs (each file, or one of its alternatives)."""
        return sum(len(c.files) for c in self.components.values() if not c.optional)


def available_presets() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.json"))


def load_preset(name: str) -> Preset:
    """A bundled preset by name. Only names of the bundled manifests are accepted: a name is
    never joined into a path unchecked (`../x` or an absolute path would read any JSON file on
    disk as a manifest, which then picks the weight files to load)."""
    path = MODELS_DIR / f"{name}.json"
    if name not in available_presets() or not path.is_file():
        raise InputError(
            f"unknown diffusion model preset '{name}': choose one of {', '.join(available_presets())}"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    scheduler = data.get("scheduler", "ddim")
    if scheduler not in SCHEDULERS:
        raise InputError(f"preset {path.name}: unknown scheduler '{scheduler}', use one of {', '.join(SCHEDULERS)}")
    components = {
        key: Component(
            name=key,
            what=c["what"],
            licence=c["licence"],
            files=tuple((f,) if isinstance(f, str) else tuple(f) for f in c["files"]),
            optional=bool(c.get("optional", False)),
            source=c.get("source", ""),
        )
        for key, c in data["components"].items()
    }
    return Preset(
        name=data["name"],
        description=data["description"],
        built_in=bool(data.get("built_in", False)),
        scheduler=scheduler,
        prompt=data.get("prompt", ""),
        components=components,
    )


def default_cache_dir() -> Path:
    """Where a built-in preset is written when the user named no models folder."""
    return cache_dir("models")


def resolve_models_dir(preset: Preset, models_dir: str | None) -> Path:
    """The folder holding the preset: settings/--models first, then $STUDIO_MODELS, then the
    default models folder (studio.resources.default_weights_dir) when it holds the preset.

    A built-in preset (tiny) lives in a subfolder named after it, written on first use (in the
    cache when no folder is chosen: it is made, not put there by a user). A downloaded preset is
    taken from the default folder only when every file it needs is there: an incomplete guess
    would hide a misconfigured machine behind a confusing 'file missing' message.
    """
    chosen = models_dir or os.environ.get(MODELS_ENV)
    if preset.built_in:
        return Path(chosen or default_cache_dir()) / preset.name
    if chosen:
        return Path(chosen)
    default = default_weights_dir()
    if default is not None and default.is_dir() and not preset.missing_files(default):
        return default
    where = f"put its weights in {default} or " if default is not None else ""
    raise InputError(
        f"diffusion preset '{preset.name}' needs a models folder: {where}{CHOOSE_MODELS_DIR} "
        "(see models/README.md for the files it must hold)"
    )
