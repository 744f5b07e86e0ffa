"""``amlguard check``: scan, report, gate; with ``--fix``, plan and repair, then report the
state after the fix. Parses flags, calls :func:`amlguard.app.run_check`, prints, exits."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options, resolution, terminal
from amlguard.cli.templateflags import template_options_for


@click.command(cls=options.GroupedCommand)
@options.option(
    "--snapshot",
    "snapshots",
    area="scan",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read the estate from a snapshot file instead of Azure (repeatable; JSON, JSON Lines, "
    "gzip).",
)
@template_options_for(required=False)
@options.selection_options
@options.config_option()
@options.output_options
@options.gate_options
@options.history_options
@options.fix_options
@options.live_options
def check(**values: Any) -> None:
    """Scan the estate and report where it drifted from the blueprint.

    Reads a --snapshot file, or, without one, Azure live through Resource Graph (see the live
    flags below; authentication: AMLGUARD_ACCESS_TOKEN if set, else DefaultAzureCredential).
    Precedence for every setting: flag > environment > amlguard.yaml > built-in default.
    """
    from amlguard import app

    settings = resolution.settings_from(values, sys.stdout)
    reporter = None if settings.snapshots else resolution.reporter(settings.connection.quiet)
    fixer = None
    if settings.fix.enabled:
        from amlguard.cli import remediation

        fixer = remediation.fixer_for(settings, values)
    with reporter if reporter is not None else terminal.nothing():
        outcome = app.run_check(settings, reporter, fixer)
    terminal.echo_report(outcome.stdout)
    if outcome.messages:
        from amlguard.reports.safe import terminal as neutral  # server text: no escapes

        for message in outcome.messages:
            click.echo(f"amlguard: {neutral(message)}", err=True)
    if outcome.history is not None:
        click.echo(f"amlguard: {outcome.history.summary()}", err=True)
    sys.exit(outcome.exit_code)
