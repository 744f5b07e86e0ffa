"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here.

One module per command (or command group); the options several commands share live in
:mod:`amlguard.cli.options`, and the one place an error becomes a message and an exit code in
:mod:`amlguard.cli.terminal`. Every command imports what it needs when it runs, so ``--help``
and a snapshot check stay light.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from typing import Any

import click

from amlguard import __version__
from amlguard.cli import startup, terminal
from amlguard.cli.terminal import (
    AmlguardErrorForUsage,
    enter_process,
    teardown_skipped,
)
from amlguard.cli.terminal import color_wanted as _color_wanted
from amlguard.cli.terminal import fail as _fail
from amlguard.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
)

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
    "export": ("export", "export_group"),
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

    def invoke(self, ctx: click.Context) -> Any:
        """Every command runs here: errors and interrupts meet the terminal in one place."""
        return terminal.guarded(lambda: super(_LazyGroup, self).invoke(ctx))


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


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _quick_exit_wanted(argv: list[str]) -> bool:
    """A plain check builds millions of acyclic objects and exits: no cyclic GC, no teardown.

    Not for ``--fix``: applying a plan is a long conversation with Azure, not one pass.
    """
    return "check" in argv[:3] and not {"--fix", "--dry-run"} & set(argv)


def main() -> None:
    """The process entry point: start-up tricks live here and nowhere else.

    No traceback ever reaches the user: usage errors exit 2, interrupts 130 (SIGTERM 143), a bug
    4 with one line naming it.
    """
    try:
        code = _started()
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM outside the command (start-up, exit)
        code = _interrupted(exc)
    if teardown_skipped() or code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        # An interrupt must not wait for worker threads still blocked on Azure.
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _started() -> int:
    """Start-up, the command, and what follows it: the command's exit code."""
    enter_process()
    signal.signal(signal.SIGTERM, _on_sigterm)
    startup.install()  # dataclass methods compiled once, not in every process
    argv = sys.argv[1:]
    if _quick_exit_wanted(argv):
        gc.disable()
        terminal.skip_teardown_on_exit()
        from amlguard.scanner.scan import keep_until_exit

        keep_until_exit()
    else:
        gc.enable()  # python -m amlguard turned it off for the imports (__main__.py)
    code = _run()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        code = code or EXIT_USAGE
    startup.save()
    return code


def _run() -> int:
    try:
        cli.main(prog_name="amlguard", standalone_mode=False)
    except SystemExit as done:
        if isinstance(done.code, int) or done.code is None:
            return done.code or 0
        click.echo(done.code, err=True)
        return 1
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            return _interrupted(exc.__context__)
        click.echo("Aborted!", err=True)
        return 1
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except Exception as exc:
        if os.environ.get("AMLGUARD_DEBUG"):
            raise
        click.echo(
            f"amlguard: internal error: {type(exc).__name__}: {exc} "
            "(set AMLGUARD_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def _interrupted(exc: BaseException) -> int:
    try:
        terminal.interrupted(exc)
    except SystemExit as done:
        return int(done.code or 0)
    return 130
