"""``amlguard export``: the Log Analytics spool (batches a check could not deliver)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options
from amlguard.errors import EXIT_INCOMPLETE, EXIT_OK


@click.group("export")
def export_group() -> None:
    """Findings sent to Azure Monitor Logs: send what an earlier check had to keep."""


@export_group.command("retry")
@click.option(
    "--url",
    required=True,
    metavar="URL",
    help="The ingestion URL the check sent to: "
    "https://<endpoint>/dataCollectionRules/<immutable id>/streams/<stream name>.",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    metavar="SECONDS",
    help="Time the retries of throttled or failed requests may take in all.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the spool lives (<dir>/amlguard/spool) [default: $XDG_STATE_HOME, else "
    "~/.local/state].",
)
@options.connection_options
def retry_cmd(url: str, budget: float, state_dir: Path | None, **connection: Any) -> None:
    """Send the batches spooled for URL now, oldest first, each exactly once.

    Exits 0 when the spool is empty afterwards (or was), 3 when a batch still could not be
    delivered (it stays in the spool), 2 for a bad URL or flag.
    """
    from amlguard.azure.clients import AzureSettings, ClientFactory
    from amlguard.export import parse_target, retry_spool

    parse_target(url, "--url ")
    settings = AzureSettings(
        connection["cloud"],
        connection["arm_endpoint"],
        str(connection["ca_bundle"]) if connection["ca_bundle"] else None,
        connection["tenant"],
    )
    state = state_dir.resolve() if state_dir is not None else None
    outcome = retry_spool(url, ClientFactory(settings), state_dir=state, budget_s=budget)
    for warning in outcome.warnings:
        click.echo(f"amlguard: warning: {warning}", err=True)
    if outcome.sent == 0 and outcome.ok:
        click.echo(f"amlguard: nothing spooled for {outcome.url}", err=True)
    else:
        click.echo(f"amlguard: {outcome.summary()}", err=True)
    sys.exit(EXIT_OK if outcome.ok else EXIT_INCOMPLETE)
