"""`python -m optimizer` runs the `roster` command."""

from optimizer.cli import main

main()
