"""Allow ``python -m amlguard``."""

from amlguard.cli import main

main()
