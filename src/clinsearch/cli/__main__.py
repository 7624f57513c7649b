"""``python -m clinsearch.cli``: the same as the ``clinsearch`` command."""

from clinsearch.cli.main import main

main(prog_name="clinsearch")
