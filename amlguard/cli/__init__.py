"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here.

One module per command (or command group); the options several commands share live in
:mod:`amlguard.cli.options`, and the one place an error becomes a message and an exit code in
:mod:`amlguard.cli.terminal`. Every command imports what it needs when it runs, so ``--help``
and a snapshot check stay light.
"""

from __future__ import annotations

import os
import sys

import click

from amlguard import __version__
from amlguard.cli.baseline import baseline
from amlguard.cli.check import check
from amlguard.cli.history import diff_command, history_group
from amlguard.cli.policies import policies
from amlguard.cli.remediation import apply_cmd
from amlguard.cli.snapshot import snapshot
from amlguard.cli.terminal import EXIT_INTERNAL, AmlguardErrorForUsage, teardown_skipped
from amlguard.cli.terminal import color_wanted as _color_wanted
from amlguard.cli.terminal import fail as _fail
from amlguard.errors import AmlguardError

__all__ = [
    "EXIT_INTERNAL",
    "AmlguardErrorForUsage",
    "_color_wanted",
    "_fail",
    "apply_cmd",
    "baseline",
    "check",
    "cli",
    "diff_command",
    "history_group",
    "main",
    "policies",
    "snapshot",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="amlguard")
def cli() -> None:
    """Audit Azure Machine Learning workspaces against the secure-networking blueprint.

    Exit codes: 0 no failing finding at or above --fail-on; 1 failing findings; 2 usage,
    configuration or input error; 3 the scan could not judge everything (some findings are
    'error'); 4 internal error (a bug).
    """


for _command in (check, snapshot, apply_cmd, policies, baseline, history_group, diff_command):
    cli.add_command(_command)


def main() -> None:
    """Entry point: no traceback ever reaches the user for a bad input."""
    try:
        cli.main(prog_name="amlguard", standalone_mode=True)
    except SystemExit as done:
        if teardown_skipped():
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if not isinstance(done.code, (int, type(None))):
                click.echo(done.code, err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise
    except AmlguardError as exc:  # pragma: no cover - commands handle their own
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("amlguard: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("AMLGUARD_DEBUG"):
            raise
        click.echo(
            f"amlguard: internal error: {type(exc).__name__}: {exc} "
            "(set AMLGUARD_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
