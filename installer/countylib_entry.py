"""Entry point of the PyInstaller bundle: the same ``countylib`` command line as the console script."""

import sys

from countylib.cli import main

if __name__ == "__main__":
    sys.exit(main())
