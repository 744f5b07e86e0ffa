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
@click.option("--policies", multiple=True, type=click.Path(path_type=Path))
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
    from amlguard.scanner.model import Severity

    try:
        cfg = options.load_config(config_path)
        eff = config.resolve(cfg, severity=severity)
        source: Any
        if snapshots:
            from amlguard.scanner.sources.snapshot import SnapshotSource

            source = SnapshotSource(list(snapshots))
        else:
            source = options.live_source(live, cfg, config.scan_options(cfg))
        request = app.CheckRequest(
            source=source,
            policies=list(policies) + list(cfg.policies),
            rule_ids=list(rule_ids),
            min_severity=Severity.parse(eff.min_severity) if eff.min_severity else None,
            scan_options=config.scan_options(cfg),
            config=cfg,
            use_suppressions=not no_suppressions,
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
