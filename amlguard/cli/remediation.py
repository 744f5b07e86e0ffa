"""Repairs: ``check --fix`` once the flags are parsed, and ``amlguard apply`` of a saved plan.

The only CLI module that reaches :mod:`amlguard.remediate` (imported when a repair runs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options, resolution


@click.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Print the plan, make no write call.")
@click.option("--audit-log", type=click.Path(path_type=Path), help="Append a JSON line per write.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256))
@options.config_option(
    "The amlguard.yaml whose rule parameters the plan was made with (default: ./amlguard.yaml)."
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
    its effect could not be verified, or the plan was declined (no answer, as with stdin
    closed and no --yes, declines); 2 the plan file is unreadable or was tampered with
    (nothing written); 3 Azure could not be reached or failed, or a permission is missing;
    130 interrupted (the actions already applied are listed).
    """
    from rich.console import Console

    from amlguard.remediate import fix as remediate
    from amlguard.remediate.clients import SdkClients
    from amlguard.remediate.plan import load_plan
    from amlguard.remediate.ruleparams import instance_settings_of, rule_parameters

    console = Console(highlight=False)
    try:
        from amlguard import config

        found = config.find_config(config_path)
        _audit_log_apart(audit_log, plan_file, found, connection.get("ca_bundle"))
        plan = load_plan(plan_file)
        cfg = config.load_config(found) if found else config.Config()
        parameters = rule_parameters(cfg)
        settings = resolution.client_settings(connection)
        clients = SdkClients(settings)
        try:
            report = remediate.apply_file(
                plan,
                remediate.FixOptions(
                    yes=yes, dry_run=dry_run, audit_log=audit_log, concurrency=concurrency
                ),
                clients,
                console,
                _ask_to_apply,
                parameters,
                getattr(settings, "cloud", "AzureCloud"),
                instance_settings_of(cfg),  # where apply re-checks DNS resolution
            )
        finally:
            clients.close()
    except (KeyboardInterrupt, click.Abort):
        click.echo("amlguard: interrupted before any write; nothing was changed", err=True)
        sys.exit(130)
    sys.exit(report.exit_code)


def _audit_log_apart(
    audit_log: Path | None, plan_file: Path, config_file: Path | None, ca_bundle: Any
) -> None:
    """Exit 2 before any write when ``--audit-log`` names one of apply's inputs: the reviewed
    plan or the config would be destroyed by the lines the writes append (as ``check --fix``
    refuses; redteam8 item 11)."""
    if audit_log is None:
        return
    from amlguard.outputfile import refuse_inputs

    inputs: list[tuple[str, Path]] = [("plan", plan_file)]
    if config_file is not None:
        inputs.append(("--config", Path(config_file)))
    if ca_bundle:
        inputs.append(("--ca-bundle", Path(ca_bundle)))
    refuse_inputs(audit_log, inputs, "--audit-log")


def _ask_to_apply() -> bool:
    """Ask before the first write (default no). No answer is a no: standard input closed or
    empty (``</dev/null``, a CI job without ``--yes``) declines the plan (exit 1), as a typed
    "n" does; only Ctrl-C is an interruption (130)."""
    try:
        return click.confirm("Apply this plan?", default=False)
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise
        click.echo()
        click.echo(
            "amlguard: no answer (standard input is closed or not a terminal); "
            "declined: pass --yes to apply without asking",
            err=True,
        )
        return False


def fixer_for(settings: Any, values: dict[str, Any]) -> Any:
    """The ``--fix`` step of ``check``: plan, confirm, apply, verify (imported only now).

    The plan and progress go to standard error unless standard output is the console report,
    so ``check --fix --format json`` still writes valid JSON to standard output.
    """
    from rich.console import Console

    from amlguard.remediate import fix as remediate

    to_stderr = settings.outputs.stdout_format != "console"
    console = Console(highlight=False, stderr=to_stderr)
    opts = remediate.FixOptions(
        only=list(settings.fix.only),
        dry_run=settings.fix.dry_run,
        yes=settings.fix.yes,
        plan_out=settings.fix.plan_out,
        audit_log=settings.fix.audit_log,
        concurrency=settings.fix.concurrency,
        offline=bool(settings.snapshots),
    )

    def run(prepared: Any) -> Any:
        clients = None
        if not settings.snapshots:
            from amlguard.remediate.clients import SdkClients

            clients = SdkClients(resolution.client_settings(values))
        try:
            return remediate.fix_check(
                prepared,
                opts,
                clients,
                console,
                lambda: click.confirm("Apply this plan?", default=False, err=to_stderr),
                clients.get if clients is not None else None,
            )
        finally:
            if clients is not None:
                clients.close()

    return run
