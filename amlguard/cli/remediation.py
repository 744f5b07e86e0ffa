"""Repairs: ``check --fix`` once the flags are parsed, and ``amlguard apply`` of a saved plan.

The only CLI module that reaches :mod:`amlguard.remediate` (imported when a repair runs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from amlguard.cli import options
from amlguard.cli.terminal import fail
from amlguard.errors import AmlguardError

if TYPE_CHECKING:
    pass


@click.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Print the plan, make no write call.")
@click.option("--audit-log", type=click.Path(path_type=Path), help="Append a JSON line per write.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="The amlguard.yaml whose rule parameters the plan was made with (default: ./amlguard.yaml).",
)
@options.connection_options
def apply_cmd(
    plan_file: Path,
    yes: bool,
    dry_run: bool,
    audit_log: Path | None,
    concurrency: int,
    config_path: Path | None,
    **connection: Any,
) -> None:
    """Apply a reviewed plan (from check --fix --plan-out); stale actions are refused.

    Nothing in the file is sent as written: every request is rebuilt from the action's
    operation and after-values against a fresh ARM read (the role's principal is the
    workspace's primary identity as ARM shows it). A plan whose requests differ from what
    amlguard would plan, or whose digest does not match, is refused whole.

    Reaches Azure as a live check does (the flags below; authentication: AMLGUARD_ACCESS_TOKEN
    if set, else DefaultAzureCredential).

    Exit codes: 0 every action done and verified; 1 an action failed, was skipped or refused,
    or its effect could not be verified; 2 the plan file is unreadable or was tampered with
    (nothing written); 3 Azure could not be reached or failed, or a permission is missing;
    130 interrupted (the actions already applied are listed).
    """
    from rich.console import Console

    from amlguard.remediate import fix as remediate
    from amlguard.remediate.clients import SdkClients
    from amlguard.remediate.plan import load_plan
    from amlguard.remediate.ruleparams import rule_parameters

    console = Console(highlight=False)
    try:
        plan = load_plan(plan_file)
        cfg = options.load_config(config_path)
        parameters = rule_parameters(getattr(cfg, "policies", ()), getattr(cfg, "parameters", {}))
        settings = options.client_settings(connection)
        clients = SdkClients(settings)
        try:
            report = remediate.apply_file(
                plan,
                remediate.FixOptions(
                    yes=yes, dry_run=dry_run, audit_log=audit_log, concurrency=concurrency
                ),
                clients,
                console,
                lambda: click.confirm("Apply this plan?", default=False),
                parameters,
                getattr(settings, "cloud", "AzureCloud"),
            )
        finally:
            clients.close()
    except AmlguardError as exc:
        fail(exc)
        return
    except (KeyboardInterrupt, click.Abort):
        click.echo("amlguard: interrupted before any write; nothing was changed", err=True)
        sys.exit(130)
    sys.exit(report.exit_code)


def check_fix(
    live: dict[str, Any],
    snapshots: tuple[Path, ...],
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    severity: str | None,
    dry_run: bool,
    yes: bool,
    only: tuple[str, ...],
    plan_out: Path | None,
    audit_log: Path | None,
    concurrency: int = 8,
    config_path: Path | None = None,
    no_suppressions: bool = False,
) -> None:
    """``check --fix``: scan, plan, confirm, apply, verify (remediation is imported only now)."""
    from rich.console import Console

    from amlguard import app, config
    from amlguard.remediate import fix as remediate

    console = Console(highlight=False)
    clients = None
    try:
        cfg = options.load_config(config_path)
        eff = config.resolve(
            cfg, fail_on=None, fmt=None, outputs=(), severity=severity, sarif_artifact=None
        )
        source, scan_options = options.scan_setup(snapshots, live, cfg)
        if not snapshots:
            from amlguard.remediate.clients import SdkClients

            clients = SdkClients(options.client_settings(live))
        request = options.check_request(
            source, scan_options, cfg, policies, rule_ids, eff.min_severity, no_suppressions
        )
        prepared, pack = remediate.prepare_request(
            request, list(only), clients.get if clients else None
        )
        stdout, _ = app.write_outputs(
            prepared.result, [app.OutputTarget("console", None)], app.ReportOptions()
        )
        click.echo(stdout, nl=False)
        opts = remediate.FixOptions(
            only=list(only),
            dry_run=dry_run,
            yes=yes,
            plan_out=plan_out,
            audit_log=audit_log,
            concurrency=concurrency,
            offline=bool(snapshots),
        )
        report = remediate.fix_after_scan(
            prepared,
            opts,
            clients,
            console,
            lambda: click.confirm("Apply this plan?", default=False),
            (pack, prepared.result.rules, request.scan_options),
        )
    except AmlguardError as exc:
        fail(exc)
        return
    finally:
        if clients is not None:
            clients.close()
    sys.exit(report.exit_code)
