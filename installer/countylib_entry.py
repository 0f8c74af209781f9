"""Entry point of the PyInstaller bundle: the same ``countylib`` command line as the console script."""

import multiprocessing
import sys

from countylib.cli import main

if __name__ == "__main__":
    # A large MARC import reads the file in a second process; in a frozen program that
    # process starts this executable again, and this hands it to the worker's code.
    multiprocessing.freeze_support()
    sys.exit(main())
