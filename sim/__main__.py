"""``python -m sim``: the command line."""

from sim.cli import entry

entry()
