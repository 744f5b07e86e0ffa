"""What every command shares with the terminal: colour, and the one place an error is printed."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from amlguard.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    AmlguardError,
    PolicyError,
    Terminated,
    UsageError,
)

__all__ = ["EXIT_INTERNAL", "AmlguardErrorForUsage", "echo_report", "fail", "interrupted"]


def color_wanted(stream: object) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def fail(exc: AmlguardError) -> None:
    """Print ``exc`` (one line per problem) and exit with its documented code."""
    from amlguard.textsafe import visible_lines

    # Messages quote data amlguard did not write (ids, names, file text): whatever a message
    # forgot to escape, no control or bidi character reaches the terminal (line feeds are ours).
    problems = getattr(exc, "problems", None)  # PolicyError, ConfigError: one line per problem
    if isinstance(exc, PolicyError) or problems:
        for problem in problems or []:
            click.echo(f"amlguard: {visible_lines(str(problem))}", err=True)
    else:
        click.echo(f"amlguard: {visible_lines(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def interrupted(exc: BaseException) -> None:
    """One line and 130 (Ctrl-C) or 143 (SIGTERM): no traceback, nothing half-written."""
    terminated = isinstance(exc, Terminated)
    with contextlib.suppress(Exception):
        click.echo(f"amlguard: {'terminated' if terminated else 'interrupted'}", err=True)
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def echo_report(text: str) -> None:
    """A report on standard output, as ``click.echo(text, nl=False)`` writes it.

    click strips ANSI codes when stdout is no terminal, one regex pass over the whole text
    (~5 ms per 20 MB of JSON); without an escape character that pass cannot change anything.
    A closed or full standard output is an error with a message (exit 2), never a traceback.
    """
    try:
        click.echo(text, nl=False, color=True if "\x1b" not in text else None)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_lost("was closed before the whole report was written")
    except OSError as exc:
        _stdout_lost(f"could not be written: {exc.strerror or exc}")


def _stdout_lost(why: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # nothing more may reach a closed stdout
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    click.echo(f"amlguard: standard output {why}", err=True)
    sys.exit(EXIT_USAGE)


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    """A context that does nothing (no progress display)."""
    yield


AmlguardErrorForUsage = UsageError  # the old name


def guarded(run: Any) -> Any:
    """Run a command: an ``AmlguardError`` becomes its message and exit code, an interrupt 130
    or 143; this is the one place errors meet the terminal."""
    try:
        return run()
    except AmlguardError as exc:
        fail(exc)
    except KeyboardInterrupt as exc:
        interrupted(exc)
    return None


_skip_teardown = False


def skip_teardown_on_exit() -> None:
    """Let the process entry point end with ``os._exit`` once the output is flushed.

    A large check leaves millions of objects (rows, findings) that the interpreter would free one
    by one at exit, ~0.1 s per 1,000 workspaces for nothing. Only the real process entry point
    (``main``) acts on this, after every file is closed; in-process callers (tests) are unaffected.
    """
    global _skip_teardown
    _skip_teardown = True


def teardown_skipped() -> bool:
    """True when the command asked ``main`` to skip the interpreter's teardown."""
    return _skip_teardown


_process_entry = False


def enter_process() -> None:
    """Called by ``main`` alone: the process ends when the command does."""
    global _process_entry
    _process_entry = True


def is_process_entry() -> bool:
    """True when ``main`` runs this command (the process ends with it)."""
    return _process_entry
