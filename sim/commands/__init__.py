"""Sub-commands of the ``sim`` command line, one module each.

Each module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.
"""


class UsageError(Exception):
    """A command was given options it cannot work with."""
