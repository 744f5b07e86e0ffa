"""``amlguard baseline``: record failing findings so later checks fail only on new ones."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options
from amlguard.cli.terminal import fail
from amlguard.errors import AmlguardError


@click.group()
def baseline() -> None:
    """Record today's failing findings so that 'check --baseline' fails only on new ones."""


@baseline.command("create")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Baseline file to write (JSON).",
)
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read the estate from a snapshot file (repeatable).",
)
@options.policies_option()
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Only this rule.")
@click.option("--severity", type=click.Choice(options.SEVERITIES, case_sensitive=False))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--no-suppressions", is_flag=True, help="Record suppressed failures too.")
@options.live_options
def baseline_create(
    output: Path,
    snapshots: tuple[Path, ...],
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    severity: str | None,
    config_path: Path | None,
    no_suppressions: bool,
    **live: Any,
) -> None:
    """Scan and write every failing finding (not already suppressed) to a baseline file."""
    from amlguard import app, config

    try:
        cfg = options.load_config(config_path)
        eff = config.resolve(cfg, severity=severity)
        source, scan_options = options.scan_setup(snapshots, live, cfg)
        request = options.check_request(
            source, scan_options, cfg, policies, rule_ids, eff.min_severity, no_suppressions
        )
        result, count, code = app.create_baseline(request, output)
    except AmlguardError as exc:
        fail(exc)
        return
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
