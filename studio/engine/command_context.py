"""What the command line hands a subcommand kept beside the code it drives (`studio batch`,
`studio export-cues`, ...): where to write messages, and how to turn render flags into a project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from studio.doc.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_INPUT, EXIT_OK  # noqa: F401 - re-exported


@dataclass(frozen=True)
class CommandContext:
    say: Callable[[str], None]
    # project_for(argv, stand_in=False): the project `studio render ARGV` would render
    project_for: Callable[..., object]
