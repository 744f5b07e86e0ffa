"""``amlguard snapshot``: read the estate live and save it for offline checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options, resolution, terminal


@click.command(cls=options.GroupedCommand)
@options.option(
    "-o",
    "--output",
    "output",
    area="output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the snapshot here (gzip when the name ends in .gz).",
)
@options.selection_options
@options.config_option(
    "Config file (default: amlguard.yaml in the working directory, if any): its policies, rule "
    "selection and integration selector decide what is collected."
)
@options.live_options
def snapshot(output: Path, **values: Any) -> None:
    """Read the estate live and save it for 'check --snapshot' (audit evidence, offline work).

    The file records the cloud and scope it was read from. Exits 3 when the read was
    incomplete; the file then records the gaps, and a check on it reports the same errors the
    live check would.
    """
    from amlguard import app
    from amlguard.textsafe import visible_lines

    settings = resolution.settings_from(values)
    reporter = resolution.reporter(settings.connection.quiet)
    with reporter if reporter is not None else terminal.nothing():
        outcome = app.run_snapshot(settings, output, reporter)
    click.echo(f"amlguard: wrote {outcome.rows} row(s) to {outcome.path}", err=True)
    for warning in outcome.warnings:
        click.echo(f"amlguard: {visible_lines(warning)}", err=True)
    if not outcome.info.complete:
        click.echo(
            "amlguard: SCAN INCOMPLETE, the snapshot records what could not be read:", err=True
        )
        for gap in outcome.info.gaps:
            scope = f" [{gap.scope}]" if gap.scope else ""
            click.echo(f"  - {gap.reason}{scope}", err=True)
    sys.exit(outcome.exit_code)
