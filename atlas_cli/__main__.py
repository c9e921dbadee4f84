"""``python -m atlas_cli`` is the ``atlas`` command."""

from atlas_cli import main

main()
