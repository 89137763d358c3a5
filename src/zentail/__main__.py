"""``python -m zentail`` is the ``zentail`` command."""

from zentail.cli import main

main()
