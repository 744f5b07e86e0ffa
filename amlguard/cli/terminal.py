"""What every command shares with the terminal: colour, and the one place an error is printed."""

from __future__ import annotations

import os
import sys

import click

from amlguard.errors import AmlguardError, PolicyError

EXIT_INTERNAL = 4


def color_wanted(stream: object) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def fail(exc: AmlguardError) -> None:
    """Print ``exc`` (one line per problem) and exit with its documented code."""
    problems = getattr(exc, "problems", None)  # PolicyError, ConfigError: one line per problem
    if isinstance(exc, PolicyError) or problems:
        for problem in problems or []:
            click.echo(f"amlguard: {problem}", err=True)
    else:
        click.echo(f"amlguard: {exc}", err=True)
    sys.exit(exc.exit_code)


class AmlguardErrorForUsage(AmlguardError):
    """A flag combination that cannot work."""
