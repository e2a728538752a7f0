"""``python -m ganzoo.cli``: the ``ganzoo`` command."""

from ganzoo.cli import main

main()
