"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here.

One module per command (or command group); the options several commands share live in
:mod:`amlguard.cli.options`, and the one place an error becomes a message and an exit code in
:mod:`amlguard.cli.terminal`. Every command imports what it needs when it runs, so ``--help``
and a snapshot check stay light.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from amlguard import __version__
from amlguard.cli.terminal import (
    EXIT_INTERNAL,
    AmlguardErrorForUsage,
    enter_process,
    teardown_skipped,
)
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


# command name -> (module under amlguard.cli, attribute): a module is imported only when its
# command runs or a help text lists it, so 'check' does not load the other commands (~3 ms).
_COMMANDS = {
    "apply": ("remediation", "apply_cmd"),
    "baseline": ("baseline", "baseline"),
    "check": ("check", "check"),
    "diff": ("history", "diff_command"),
    "history": ("history", "history_group"),
    "policies": ("policies", "policies"),
    "snapshot": ("snapshot", "snapshot"),
    "template": ("template", "template_group"),
}
_ATTRIBUTES = {attr: name for name, (_, attr) in _COMMANDS.items()}


def _command(name: str) -> click.Command:
    module, attr = _COMMANDS[name]
    # __import__ rather than importlib.import_module: -X importtime only reports the former.
    command: click.Command = getattr(__import__(f"amlguard.cli.{module}", fromlist=[attr]), attr)
    # Importing amlguard.cli.check set this package's 'check' to the module; the name has
    # always meant the command ('from amlguard.cli import check').
    globals()[attr] = command
    return command


def __getattr__(attr: str) -> Any:
    """The commands as attributes of this package, as when they were imported eagerly."""
    if attr in _ATTRIBUTES:
        return _command(_ATTRIBUTES[attr])
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use (see ``_COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            self.add_command(_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="amlguard")
def cli() -> None:
    """Audit Azure Machine Learning workspaces against the secure-networking blueprint.

    Exit codes: 0 no failing finding at or above --fail-on; 1 failing findings; 2 usage,
    configuration or input error; 3 the scan could not judge everything (some findings are
    'error'); 4 internal error (a bug).
    """


def main() -> None:
    """Entry point: no traceback ever reaches the user for a bad input."""
    enter_process()
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
