"""Whether this installation can run the diffusion renderer at all.

The standalone bundle leaves torch, diffusers and transformers out unless it is built with
DIFFUSION=1 (packaging/README.md): they are most of its size and only the diffusion renderer
uses them. The check looks the packages up without importing them, so the studio can say what
is missing the moment the renderer is chosen instead of failing on the first frame.
"""

from __future__ import annotations

import importlib.util


# Import names, with the pinned distributions to install for each (pyproject.toml).
REQUIRED: dict[str, str] = {
    "torch": "torch==2.13.0",
    "diffusers": "diffusers==0.42.1",
    "transformers": "transformers==5.23.0",
    "safetensors": "safetensors==0.8.0",
}


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a blocked or half-imported package counts as missing
        return False


def missing_packages() -> list[str]:
    """Import names of the diffusion renderer's packages this installation lacks."""
    return [name for name in REQUIRED if not _installed(name)]


def missing_message(missing: list[str] | None = None) -> str | None:
    """One line saying what to install for the diffusion renderer, or None when it can run."""
    missing = missing_packages() if missing is None else missing
    if not missing:
        return None
    pins = " ".join(REQUIRED[name] for name in missing)
    return (
        f"the diffusion renderer needs {', '.join(missing)}, which this installation does not "
        f"include: use the build made with 'make package DIFFUSION=1', or run from source after "
        f"'pip install {pins}' (torch first); the mesh renderer works without them"
    )


def missing_note(missing: list[str] | None = None) -> str | None:
    """The short form, for a settings panel next to the renderer choice (the full line, with
    the pip command, goes in its tooltip and in the dialog): None when it can run."""
    missing = missing_packages() if missing is None else missing
    if not missing:
        return None
    names = ", ".join(missing[:-1]) + f" and {missing[-1]}" if len(missing) > 1 else missing[0]
    return (f"The diffusion renderer needs {names}, which this build leaves out: use the build "
            f"made with 'make package DIFFUSION=1'.")
