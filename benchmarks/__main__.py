"""`python -m duograd.benchmarks` runs the bench command."""

import sys

from .cli import main

sys.exit(main(["bench", *sys.argv[1:]]))
