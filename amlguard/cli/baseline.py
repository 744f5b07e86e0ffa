"""``amlguard baseline``: record failing findings so later checks fail only on new ones."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options, resolution, terminal


@click.group()
def baseline() -> None:
    """Record today's failing findings so that 'check --baseline' fails only on new ones."""


@baseline.command("create", cls=options.GroupedCommand)
@options.option(
    "-o",
    "--output",
    "output",
    area="output",
    required=True,
    type=click.Path(path_type=Path),
    help="Baseline file to write (JSON).",
)
@options.option(
    "--snapshot",
    "snapshots",
    area="scan",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read the estate from a snapshot file (repeatable).",
)
@options.selection_options
@options.config_option()
@options.option(
    "--no-suppressions", area="gate", is_flag=True, help="Record suppressed failures too."
)
@options.live_options
def baseline_create(output: Path, **values: Any) -> None:
    """Scan and write every failing finding (not already suppressed) to a baseline file."""
    from amlguard import app

    settings = resolution.settings_from(values)
    reporter = None if settings.snapshots else resolution.reporter(settings.connection.quiet)
    with reporter if reporter is not None else terminal.nothing():
        result, count, code = app.create_baseline(settings, output, reporter)
    for warning in result.warnings:
        click.echo(f"amlguard: warning: {warning}", err=True)
    click.echo(f"Recorded {count} failing finding(s) in {output}.")
    if code:
        click.echo(
            "amlguard: the scan could not judge everything; findings it could not judge are "
            "not in the baseline",
            err=True,
        )
    sys.exit(code)
