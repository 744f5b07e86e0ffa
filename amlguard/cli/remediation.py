"""Repairs: ``check --fix`` once the flags are parsed, and ``amlguard apply`` of a saved plan.

The only CLI module that reaches :mod:`amlguard.remediate` (imported when a repair runs).
"""

from __future__ import annotations

import sys
from dataclasses import replace
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
@click.option(
    "--expect-digest",
    metavar="sha256:HEX",
    help="Apply only if the file's digest is this one (the digest check --fix --plan-out "
    "printed when the plan was reviewed); anything else exits 2 before any read or write.",
)
@options.config_option(
    "The amlguard.yaml the plan is judged with: its suppressions, rule parameters and rule "
    "selection (default: ./amlguard.yaml)."
)
@options.connection_options
def apply_cmd(
    plan_file: Path,
    yes: bool,
    dry_run: bool,
    audit_log: Path | None,
    concurrency: int,
    expect_digest: str | None,
    config_path: Path | None,
    **connection: Any,
) -> None:
    """Apply a reviewed plan (from check --fix --plan-out); stale actions are refused.

    Nothing in the file is sent as written: every request is rebuilt from the action's
    operation and after-values against a fresh ARM read (the role's principal is the
    workspace's primary identity as ARM shows it). The estate of the plan's subscriptions is
    then read and judged again with --config (its suppressions, rule parameters and rule
    selection) and the plan's --only, and planned again: an action that plan would not hold
    (its finding passes now, is suppressed as an approved exception, or is left to a human)
    refuses the plan whole, naming each such action and why. A plan whose requests differ
    from what amlguard would plan, or whose digest does not match, is refused whole too. The
    manual steps and warnings shown are those of the plan made now, never the file's.

    The digest is a plain sha256 of the file: anyone who edits the file can recompute it. To
    bind a pipeline to the plan that was reviewed (on any machine), pass the reviewed digest
    with --expect-digest.

    Reaches Azure as a live check does (the flags below; authentication: AMLGUARD_ACCESS_TOKEN
    if set, else DefaultAzureCredential).

    Exit codes: 0 every action done and verified; 1 an action failed, was skipped or refused,
    its effect could not be verified, or the plan was declined (no answer, as with stdin
    closed and no --yes, declines); 2 the plan file is unreadable, was tampered with, is not
    the --expect-digest one, or holds an action a plan made now would not hold (nothing
    written); 3 Azure could not be reached or failed, or a permission is missing;
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
        if expect_digest is not None:
            from amlguard.remediate.replan import check_expected

            check_expected(plan.file_digest, expect_digest)
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
                rescan=lambda saved: _rescan(saved, cfg, connection, clients),
            )
        finally:
            clients.close()
    except (KeyboardInterrupt, click.Abort):
        click.echo("amlguard: interrupted before any write; nothing was changed", err=True)
        sys.exit(130)
    sys.exit(report.exit_code)


def _rescan(plan: Any, cfg: Any, connection: dict[str, Any], clients: Any) -> Any:
    """The estate of ``plan``'s subscriptions judged now as ``check --fix`` judges it (the one
    :func:`amlguard.app.prepare_scan`), with ``cfg`` and the plan's rule selection; None when
    the plan names no workspace."""
    from amlguard import app
    from amlguard.remediate.replan import subscriptions_of
    from amlguard.settings import CheckSettings, Connection, Fix, Gate, Scope, Selection

    subscriptions = subscriptions_of(plan)
    if not subscriptions:
        return None
    policies = tuple(cfg.policies)
    ca = connection.get("ca_bundle")
    settings = CheckSettings(
        scope=Scope(subscriptions=subscriptions),
        connection=Connection(
            cloud=connection.get("cloud") or "AzureCloud",
            arm_endpoint=connection.get("arm_endpoint"),
            ca_bundle=str(ca) if ca else None,
            tenant=connection.get("tenant"),
            quiet=True,
        ),
        selection=Selection(
            policies=policies,
            custom_policies=policies,
            rule_ids=tuple(plan.selection.get("named", ())),  # named as check's --rule named
        ),
        gate=Gate(fail_on=None, confirm=True),
        fix=Fix(enabled=True, dry_run=True, only=tuple(plan.selection.get("only", ()))),
        config=cfg,
        integration_selector=cfg.integration_selector,
        solution_subnet=cfg.solution_subnet,
    )
    recorded = {r.upper() for r in plan.selection.get("rules", [])}
    if recorded:
        # The selection now (the config's, or the plan's --rule ids), less the rules the plan
        # was not made with: skipped, not named, so a rule the config keeps by its
        # default_on_when stays conditional, as it was when the plan was made.
        _pack, by_config = app.load_rules(settings)
        allowed = {r.id.upper() for r in by_config}
        if not allowed & recorded:
            from amlguard.errors import InputError

            raise InputError(
                "none of the rules the plan was made with is selected by the config now, so "
                "nothing was written (plan again with check --fix --plan-out)"
            )
        skip = tuple(sorted(allowed - recorded))
        settings = replace(settings, selection=replace(settings.selection, skip_rules=skip))
    return app.prepare_scan(settings, None, clients.factory.credential)


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
