"""``amlguard snapshot``: read the estate live and save it for offline checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options
from amlguard.cli.terminal import fail
from amlguard.errors import AmlguardError


@click.command()
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the snapshot here (gzip when the name ends in .gz).",
)
@click.option(
    "--policies",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also collect what the rules in this directory or file need (repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: amlguard.yaml in the working directory, if any): its policies "
    "and integration selector decide what is collected.",
)
@options.live_options
def snapshot(
    output: Path, policies: tuple[Path, ...], config_path: Path | None, **live: Any
) -> None:
    """Read the estate live and save it for 'check --snapshot' (audit evidence, offline work).

    Exits 3 when the read was incomplete; the file then records the gaps, and a check on it
    reports the same errors the live check would.
    """
    from amlguard import app, config

    try:
        cfg = options.load_config(config_path)
        reporter = options.reporter(live["quiet"])
        source = app.live_source(
            options.live_request(live, cfg), reporter, scan_options=config.scan_options(cfg)
        )
        extra = list(policies) + list(cfg.policies)
        if reporter is not None:
            with reporter:
                outcome = app.run_snapshot(source, output, extra)
        else:
            outcome = app.run_snapshot(source, output, extra)
    except AmlguardError as exc:
        fail(exc)
        return
    click.echo(f"amlguard: wrote {outcome.rows} row(s) to {outcome.path}", err=True)
    if not outcome.info.complete:
        click.echo(
            "amlguard: SCAN INCOMPLETE, the snapshot records what could not be read:", err=True
        )
        for gap in outcome.info.gaps:
            scope = f" [{gap.scope}]" if gap.scope else ""
            click.echo(f"  - {gap.reason}{scope}", err=True)
    sys.exit(outcome.exit_code)
