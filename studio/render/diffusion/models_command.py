"""`studio models check DIR [--preset NAME]`: is a models folder complete for a diffusion preset?

For each component of a preset it says found or missing, the file(s) it expects there (with
their alternatives), each found file's size and sha256 (so a copy can be compared with its
source), and for a missing one where to get it and under which licence. The diffusion renderer
contributes this subcommand through the renderer registry (its KIND's `commands`), so the
command line itself never names it.

Exit status: 0 when the preset is complete (without --preset: when at least one downloadable
preset is), 1 when not, 2 for a folder that does not exist or an unknown preset.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from studio.doc.errors import EXIT_FAILED, EXIT_OK, InputError
from studio.render.diffusion.manifests import Component, Preset, available_presets, load_preset

COMMANDS = ("models",)
HF = "https://huggingface.co/"


def add_commands(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="check a folder of diffusion model weights",
                            description="Diffusion model weights (see models/README.md).")
    actions = models.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="say, per component of a preset, whether DIR holds it",
        description="For each component of a diffusion preset: found or missing in DIR, the "
        "file it expects, each found file's size and sha256, and where to get a missing one.")
    check.add_argument("folder", metavar="DIR", help="the models folder (as given to --models)")
    check.add_argument("--preset", metavar="NAME",
                       help=f"one preset: {', '.join(available_presets())} (default: every "
                       "preset that is downloaded rather than built in)")
    check.add_argument("--no-hash", action="store_true",
                       help="skip the sha256 of found files (hashing GBs of weights takes a while)")


def run_command(args: argparse.Namespace, context) -> int:
    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        raise InputError(f"models check: {folder} is not a folder")
    if args.preset is not None:
        presets = [load_preset(args.preset)]
    else:
        presets = [p for p in map(load_preset, available_presets()) if not p.built_in]
    complete = []
    for preset in presets:
        root = folder / preset.name if preset.built_in else folder
        lines, ok = check_preset(preset, root, hash_files=not args.no_hash)
        print("\n".join(lines))
        if ok:
            complete.append(preset.name)
    if len(presets) > 1:
        print(f"complete: {', '.join(complete)}" if complete else "no preset is complete in this folder")
    return EXIT_OK if complete else EXIT_FAILED


def check_preset(preset: Preset, root: Path, hash_files: bool = True) -> tuple[list[str], bool]:
    """The report's lines for one preset in `root`, and whether every required component is there."""
    rows = [component_report(c, root, hash_files) for c in preset.components.values()]
    found = sum(1 for ok, _ in rows if ok)
    ok = all(found_ or comp.optional for (found_, _), comp in zip(rows, preset.components.values()))
    state = "complete" if ok else "incomplete"
    lines = [f"preset {preset.name} in {root}: {state} ({found} of {len(rows)} components found)"]
    for _, text in rows:
        lines += text
    return lines, ok


def component_report(comp: Component, root: Path, hash_files: bool) -> tuple[bool, list[str]]:
    files, found = [], True
    for alternatives in comp.files:
        present = next((root / rel for rel in alternatives if (root / rel).is_file()), None)
        if present is None:
            found = False
            files.append(f"      missing {' or '.join(alternatives)}")
        else:
            digest = f"  sha256 {sha256(present)}" if hash_files else ""
            files.append(f"      found   {present.relative_to(root).as_posix()}  "
                         f"{size_words(present.stat().st_size)}{digest}")
    state = "found  " if found else "absent " if comp.optional else "MISSING"
    lines = [f"  {state} {comp.name}: {comp.what} (licence: {comp.licence})"] + files
    if not found:
        lines.append(f"      get it: {where_to_get(comp)}")
    return found, lines


def where_to_get(comp: Component) -> str:
    if not comp.source:
        return "built into the studio: written on first use (studio/render/diffusion/tiny.py)"
    repo, _, rest = comp.source.partition(" ")
    return f"{HF}{repo} {rest}".strip() + " (see models/README.md)"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def size_words(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
