"""``amlguard apply``: carry out a reviewed plan written by ``check --fix --plan-out``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options
from amlguard.cli.terminal import fail
from amlguard.errors import AmlguardError


@click.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Print the plan, make no write call.")
@click.option("--audit-log", type=click.Path(path_type=Path), help="Append a JSON line per write.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256))
@options.connection_options
def apply_cmd(
    plan_file: Path,
    yes: bool,
    dry_run: bool,
    audit_log: Path | None,
    concurrency: int,
    **connection: Any,
) -> None:
    """Apply a reviewed plan (from check --fix --plan-out); stale actions are refused.

    Reaches Azure as a live check does (the flags below; authentication: AMLGUARD_ACCESS_TOKEN
    if set, else DefaultAzureCredential).

    Exit codes: 0 every action done and verified; 1 an action failed, was skipped or refused,
    or its effect could not be verified; 3 Azure could not be reached or failed, or a
    permission is missing.
    """
    from rich.console import Console

    from amlguard.remediate import fix as remediate
    from amlguard.remediate.clients import SdkClients
    from amlguard.remediate.plan import load_plan

    console = Console(highlight=False)
    try:
        plan = load_plan(plan_file)
        clients = SdkClients(options.client_settings(connection))
        try:
            report = remediate.apply_file(
                plan,
                remediate.FixOptions(
                    yes=yes, dry_run=dry_run, audit_log=audit_log, concurrency=concurrency
                ),
                clients,
                console,
                lambda: click.confirm("Apply this plan?", default=False),
            )
        finally:
            clients.close()
    except AmlguardError as exc:
        fail(exc)
        return
    sys.exit(report.exit_code)
