"""What the command line hands a subcommand kept beside the code it drives (`studio batch`,
`studio export-cues`, ...): where to write messages, and how to turn render flags into a project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


@dataclass(frozen=True)
class CommandContext:
    say: Callable[[str], None]
    # project_for(argv, stand_in=False): the project `studio render ARGV` would render
    project_for: Callable[..., object]
