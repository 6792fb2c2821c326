"""Talking Portrait Studio: animate a portrait from a voice clip."""

from importlib.metadata import version

# pyproject.toml holds the one version number; the PyInstaller bundle carries the package's
# metadata (packaging/studio.spec), so a frozen build reports the same number.
__version__ = version("talking-portrait-studio")
