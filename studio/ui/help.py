"""The application's name and the Help menu's text: the keyboard shortcuts (and how K is
shared) and About."""

from __future__ import annotations

from studio import __version__

APP_NAME = "Talking Portrait Studio"

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Space", "Play / pause"),
    ("J / L", "Play backward / forward; press again to double the speed"),
    ("K", "While playing: pause (J/K/L transport). While stopped: add a key at the playhead "
          "on the active track (the track you last clicked)"),
    ("Left / Right", "Step one frame"),
    ("Shift+Left / Shift+Right", "Step one second"),
    ("Home / End", "Go to the first / last frame"),
    ("", "The keys above work wherever the focus is, except while typing in a field"),
    ("Double-click a lane", "Add a key there, on the curve (drag it to set its value)"),
    ("Click a key", "Select it (Ctrl adds to the selection); the inspector edits it"),
    ("Drag a key", "Move it (snaps to frames); Shift locks to time or value"),
    ("Drag on empty lane", "Box-select keys (Ctrl adds to the selection)"),
    ("Right-click a key", "Interpolation and delete"),
    ("Delete / Backspace", "Delete the selected keys"),
    ("Ctrl+A", "Select all keys"),
    ("Ctrl+Z / Ctrl+Shift+Z or Ctrl+Y", "Undo / redo (in a text field: its typing first)"),
    ("Ctrl+wheel, Ctrl+= / Ctrl+-", "Zoom the timeline"),
    ("Wheel, middle-drag", "Pan the timeline"),
    ("Ctrl+0", "Fit the timeline to the clip"),
    ("Ctrl+N / Ctrl+O / Ctrl+S / Ctrl+Shift+S", "New / open / save / save as project"),
    ("Ctrl+Q", "Quit"),
    ("Ctrl+E", "Export"),
    ("F1", "This list"),
)


def shortcuts_html() -> str:
    rows = "".join(
        f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>"
        for keys, what in SHORTCUTS
    )
    return f"<table>{rows}</table>"


def as_sentence(message: str) -> str:
    """An InputError's one line (lower case, as the CLI prints it after "error:") as a sentence
    for a dialog or a note."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def about_text() -> str:
    return (
        f"<b>{APP_NAME}</b> {__version__}<br>"
        "Drop a portrait and a voice clip, direct lip sync, head motion, blinks and emotion on "
        "the timeline, and export a video. Renders on the CPU with the built-in mesh renderer."
    )
