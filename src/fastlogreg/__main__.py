"""``python -m fastlogreg``: the command line (see ``fastlogreg --help``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
