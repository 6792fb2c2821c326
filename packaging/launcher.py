"""The bundle's executable: the `studio` command line, opening the studio when given nothing.

A double-click or a desktop menu entry starts the program with no arguments, which means the
application; every `studio` command (`render`, `init`, `info`, `--version`) works as well.
"""

import sys

from studio.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["gui"]))
