"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amlguard import __version__
from amlguard.errors import EXIT_USAGE, AmlguardError, PolicyError

if TYPE_CHECKING:
    from amlguard.scanner.rules import RulePack
    from amlguard.scanner.sources.interface import Source

EXIT_INTERNAL = 4

_SEVERITIES = ["critical", "high", "medium", "low", "info"]


def _color_wanted(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _fail(exc: AmlguardError) -> None:
    if isinstance(exc, PolicyError):
        for problem in exc.problems:
            click.echo(f"amlguard: {problem}", err=True)
    else:
        click.echo(f"amlguard: {exc}", err=True)
    sys.exit(exc.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="amlguard")
def cli() -> None:
    """Audit Azure Machine Learning workspaces against the secure-networking blueprint.

    Exit codes: 0 no failing finding at or above --fail-on; 1 failing findings; 2 usage,
    configuration or input error; 3 the scan could not judge everything (some findings are
    'error'); 4 internal error (a bug).
    """


@cli.command()
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read the estate from a snapshot file instead of Azure (repeatable; JSON, JSON Lines, gzip).",
)
@click.option(
    "--policies",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also load the rule files in this directory or file (repeatable).",
)
@click.option(
    "--rule", "rule_ids", multiple=True, metavar="ID", help="Run only this rule (repeatable)."
)
@click.option(
    "--severity",
    type=click.Choice(_SEVERITIES, case_sensitive=False),
    help="Run only rules of at least this severity.",
)
@click.option(
    "--fail-on",
    default="low",
    show_default=True,
    metavar="SEVERITY|none",
    help="Exit 1 when a failing finding is at or above this severity; 'none' only reports.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="FMT",
    help="Format for standard output: console (default) or json.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FMT:PATH",
    help="Also write a report to a file, e.g. json:findings.json (repeatable).",
)
@click.option("-v", "--verbose", is_flag=True, help="List passing findings too.")
@click.option(
    "--fix",
    "fix",
    is_flag=True,
    help="Plan repairs for failing findings, confirm, apply and verify them (plan only with --snapshot).",
)
@click.option("--dry-run", is_flag=True, help="With --fix: print the plan, make no write call.")
@click.option("--yes", is_flag=True, help="With --fix: apply without asking.")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="RULE-ID",
    help="With --fix: fix only this rule (repeatable).",
)
@click.option(
    "--plan-out", type=click.Path(path_type=Path), help="With --fix: write the plan as JSON."
)
@click.option(
    "--audit-log", type=click.Path(path_type=Path), help="With --fix: append a JSON line per write."
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="With --fix: actions run at the same time.",
)
def check(
    snapshots: tuple[Path, ...],
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    severity: str | None,
    fail_on: str,
    fmt: str | None,
    outputs: tuple[str, ...],
    verbose: bool,
    fix: bool = False,
    dry_run: bool = False,
    yes: bool = False,
    only: tuple[str, ...] = (),
    plan_out: Path | None = None,
    audit_log: Path | None = None,
    concurrency: int = 8,
) -> None:
    """Scan the estate and report where it drifted from the blueprint."""
    from amlguard import app
    from amlguard.scanner.model import Severity

    if fix or dry_run:
        _check_fix(
            snapshots,
            policies,
            rule_ids,
            severity,
            dry_run,
            yes,
            only,
            plan_out,
            audit_log,
            concurrency,
        )
        return
    if yes or only or plan_out or audit_log:
        _fail(AmlguardErrorForUsage("--yes, --only, --plan-out and --audit-log need --fix"))
    try:
        targets = [app.parse_output(fmt or "console")] + [app.parse_output(o) for o in outputs]
        if any(t.path is None for t in targets[1:]):
            raise AmlguardErrorForUsage("--output needs FMT:PATH; use --format for standard output")
        if not snapshots:
            raise AmlguardErrorForUsage(
                "live scans are not available in this build yet: pass --snapshot FILE"
            )
        from amlguard.scanner.sources.snapshot import SnapshotSource

        request = app.CheckRequest(
            source=SnapshotSource(list(snapshots)),
            policies=list(policies),
            rule_ids=list(rule_ids),
            min_severity=Severity.parse(severity) if severity else None,
            fail_on=app.parse_fail_on(fail_on),
            outputs=targets,
            verbose=verbose,
            color=_color_wanted(sys.stdout) and (fmt or "console") == "console",
        )
        outcome = app.run_check(request)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(outcome.stdout, nl=False)
    sys.exit(outcome.exit_code)


class AmlguardErrorForUsage(AmlguardError):
    """A flag combination that cannot work."""


def _live_source() -> Source:
    """The live Resource Graph source.

    MERGE NOTE (lead): return issue 3's source here (and build ``SdkClients`` from its client
    settings); everything after the scan is already wired.
    """
    raise AmlguardErrorForUsage(
        "live scans are not available in this build yet: pass --snapshot FILE to plan"
    )


def _check_fix(
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
) -> None:
    """``check --fix``: scan, plan, confirm, apply, verify (remediation is imported only here)."""
    from rich.console import Console

    from amlguard import app
    from amlguard.remediate import fix as remediate
    from amlguard.scanner.model import Severity
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, select_rules

    console = Console(highlight=False)
    clients = None
    try:
        pack = load_pack(list(policies))
        rules = select_rules(pack, list(rule_ids), Severity.parse(severity) if severity else None)
        options = ScanOptions()
        if snapshots:
            from amlguard.scanner.sources.snapshot import SnapshotSource

            source: Source = SnapshotSource(list(snapshots))
        else:
            from amlguard.remediate.clients import SdkClients, settings_from_env

            source = _live_source()
            clients = SdkClients(settings_from_env())
        prepared = remediate.prepare(
            source, pack, rules, options, list(only), clients.get if clients else None
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
            (pack, rules, options),
        )
    except AmlguardError as exc:
        _fail(exc)
        return
    finally:
        if clients is not None:
            clients.close()
    sys.exit(report.exit_code)


@cli.command("apply")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Print the plan, make no write call.")
@click.option("--audit-log", type=click.Path(path_type=Path), help="Append a JSON line per write.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256))
def apply_cmd(
    plan_file: Path, yes: bool, dry_run: bool, audit_log: Path | None, concurrency: int
) -> None:
    """Apply a reviewed plan (from check --fix --plan-out); stale actions are refused.

    Exit codes: 0 every action done and verified; 1 an action failed, was skipped or refused,
    or its effect could not be verified; 3 Azure could not be reached or failed, or a
    permission is missing.
    """
    from rich.console import Console

    from amlguard.remediate import fix as remediate
    from amlguard.remediate.clients import SdkClients, settings_from_env
    from amlguard.remediate.plan import load_plan

    console = Console(highlight=False)
    try:
        plan = load_plan(plan_file)
        clients = SdkClients(settings_from_env())
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
        _fail(exc)
        return
    sys.exit(report.exit_code)


@cli.group()
def policies() -> None:
    """List, show and validate rules."""


def _pack(extra: tuple[Path, ...]) -> RulePack:
    from amlguard.scanner.rules import load_pack

    return load_pack(list(extra))


@policies.command("list")
@click.option("--policies", "extra", multiple=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def policies_list(extra: tuple[Path, ...], fmt: str) -> None:
    """One line per rule: id, severity, fixable, title."""
    try:
        pack = _pack(extra)
    except AmlguardError as exc:
        _fail(exc)
        return
    if fmt == "json":
        rows = [
            {"id": r.id, "severity": r.severity.label, "fixable": r.fixable, "title": r.title}
            for r in pack.rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.id) for r in pack.rules)
    click.echo(f"{'ID':<{width}}  {'SEVERITY':<8}  {'FIX':<6}  TITLE")
    for r in pack.rules:
        fix = "auto" if r.fixable else "manual"
        click.echo(f"{r.id:<{width}}  {r.severity.label:<8}  {fix:<6}  {r.title}")


@policies.command("show")
@click.argument("rule_id")
@click.option("--policies", "extra", multiple=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def policies_show(rule_id: str, extra: tuple[Path, ...], fmt: str) -> None:
    """The full text and parameters of one rule."""
    from amlguard.app import describe_rule

    try:
        pack = _pack(extra)
    except AmlguardError as exc:
        _fail(exc)
        return
    rule = pack.get(rule_id)
    if rule is None:
        click.echo(
            f"amlguard: unknown rule id {rule_id!r} (see 'amlguard policies list')", err=True
        )
        sys.exit(EXIT_USAGE)
    info = describe_rule(rule)
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(
        f"{rule.id}  {rule.name}  [{rule.severity.label}]  {'auto-fix' if rule.fixable else 'manual fix'}"
    )
    click.echo(rule.title)
    click.echo()
    for heading, text in (
        ("Description", rule.description),
        ("Rationale", rule.rationale),
        ("Remediation", rule.remediation.summary),
    ):
        if text:
            click.echo(f"{heading}:")
            click.echo(click.wrap_text(text, 96, initial_indent="  ", subsequent_indent="  "))
    if rule.remediation.manual:
        click.echo("Manual fix:")
        click.echo("  " + rule.remediation.manual)
    if rule.parameters:
        click.echo("Parameters:")
        for p in rule.parameters:
            click.echo(f"  {p.name} = {json.dumps(p.default)}")
            click.echo(
                click.wrap_text(
                    p.description, 96, initial_indent="      ", subsequent_indent="      "
                )
            )
    if rule.references:
        click.echo("References:")
        for ref in rule.references:
            if "url" in ref:
                click.echo(f"  {ref.get('title', '')} <{ref['url']}>")
            elif "azure_policy" in ref:
                click.echo(f"  Azure Policy {ref['azure_policy']}: {ref.get('title', '')}")
            elif "mcsb" in ref:
                click.echo(f"  Microsoft cloud security benchmark {ref['mcsb']}")
    if rule.tags:
        click.echo("Tags: " + ", ".join(rule.tags))
    click.echo(f"Defined at: {rule.source}")


@policies.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def policies_validate(directory: Path | None) -> None:
    """Check rule files (default: the built-in pack); every problem as file:line:col."""
    from amlguard.scanner.rules import load_pack

    try:
        pack = load_pack([directory] if directory else [], builtin=directory is None)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(f"{len(pack.rules)} rule(s) in {len(pack.files)} file(s) are valid.")


def main() -> None:
    """Entry point: no traceback ever reaches the user for a bad input."""
    try:
        cli.main(prog_name="amlguard", standalone_mode=True)
    except AmlguardError as exc:  # pragma: no cover - commands handle their own
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("amlguard: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("AMLGUARD_DEBUG"):
            raise
        click.echo(
            f"amlguard: internal error: {type(exc).__name__}: {exc} "
            "(set AMLGUARD_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
