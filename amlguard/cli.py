"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    problems = getattr(exc, "problems", None)  # PolicyError, ConfigError: one line per problem
    if isinstance(exc, PolicyError) or problems:
        for problem in problems or []:
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


def _live_options(func: Any) -> Any:
    """The flags that say how to reach Azure and what to read (``check`` and ``snapshot``)."""
    options = [
        click.option(
            "--subscription",
            "subscriptions",
            multiple=True,
            metavar="ID",
            help="Scan this subscription (repeatable). Default: every subscription you can read.",
        ),
        click.option(
            "--management-group",
            "management_groups",
            multiple=True,
            metavar="ID",
            help="Scan the subscriptions under this management group (repeatable).",
        ),
        click.option(
            "--resource-group",
            "resource_groups",
            multiple=True,
            metavar="NAME",
            help="Only this resource group (repeatable).",
        ),
        click.option("--tenant", metavar="ID", help="Authenticate against this Entra ID tenant."),
        click.option(
            "--cloud",
            default="AzureCloud",
            show_default=True,
            metavar="AzureCloud|AzureUSGovernment|AzureChinaCloud",
            help="The Azure cloud: ARM endpoint, token scope, and the private DNS zone names "
            "rules expect (also with --snapshot).",
        ),
        click.option(
            "--arm-endpoint",
            metavar="URL",
            envvar="AMLGUARD_ARM_ENDPOINT",
            help="Any other ARM endpoint (Azure Stack, the test emulator); https only. "
            "Env: AMLGUARD_ARM_ENDPOINT.",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="AMLGUARD_CA_BUNDLE",
            help="PEM file of CAs to trust for --arm-endpoint. Env: AMLGUARD_CA_BUNDLE.",
        ),
        click.option(
            "--batch-size",
            default=1000,
            show_default=True,
            type=int,
            help="Subscriptions per Resource Graph request (1-1000).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr."),
        click.option(
            "--log-level",
            default="warning",
            show_default=True,
            type=click.Choice(["error", "warning", "info", "debug"], case_sensitive=False),
            help="Log to stderr; 'info' logs each query's duration and quota headers (never a token).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _gate_options(func: Any) -> Any:
    """The CI-gate options of ``check``: config file, SARIF artifact, suppressions, baseline."""
    for option in reversed(
        (
            click.option(
                "--config",
                "config_path",
                type=click.Path(path_type=Path),
                help="Config file (default: amlguard.yaml in the working directory, if any).",
            ),
            click.option(
                "--sarif-artifact",
                type=click.Path(path_type=Path),
                help="File SARIF results point at (default: the snapshot, else the config file).",
            ),
            click.option(
                "--no-suppressions",
                is_flag=True,
                help="Ignore every suppression in the config file (for audits).",
            ),
            click.option(
                "--baseline",
                type=click.Path(path_type=Path),
                help="Fail only on findings not in this baseline file; list the resolved ones.",
            ),
        )
    ):
        func = option(func)
    return func


def _live_request(kw: dict[str, Any], cfg: Any) -> Any:
    """The live flags; without any scope flag, the config file's ``scope`` (all of it)."""
    from amlguard import app, logs

    logs.configure(kw["log_level"])
    subscriptions = tuple(kw["subscriptions"])
    groups = tuple(kw["management_groups"])
    resource_groups = tuple(kw["resource_groups"])
    if not (subscriptions or groups or resource_groups):
        subscriptions, groups = tuple(cfg.subscriptions), tuple(cfg.management_groups)
        resource_groups = tuple(cfg.resource_groups)
    return app.LiveRequest(
        cloud=kw["cloud"],
        arm_endpoint=kw["arm_endpoint"],
        ca_bundle=str(kw["ca_bundle"]) if kw["ca_bundle"] else None,
        tenant=kw["tenant"],
        subscriptions=subscriptions,
        management_groups=groups,
        resource_groups=resource_groups,
        batch_size=kw["batch_size"],
    )


def _reporter(quiet: bool) -> Any:
    from amlguard import progress

    return progress.RichProgress() if progress.wanted(quiet) else None


def _live_flags_given(kw: dict[str, Any]) -> list[str]:
    """Live-only flags given on the command line (an environment default is no mistake)."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    given = [
        f"--{name.replace('_', '-')}"
        for name in (
            "subscriptions",
            "management_groups",
            "resource_groups",
            "tenant",
            "arm_endpoint",
            "ca_bundle",
        )
        if kw.get(name)
        and (ctx is None or ctx.get_parameter_source(name) is not ParameterSource.ENVIRONMENT)
    ]
    return [
        g.replace("--subscriptions", "--subscription")
        .replace("--management-groups", "--management-group")
        .replace("--resource-groups", "--resource-group")
        for g in given
    ]


def _config(path: Path | None) -> Any:
    """The config file given or found in the working directory (defaults when there is none)."""
    from amlguard import config

    found = config.find_config(path)
    return config.load_config(found) if found else config.Config()


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
    default=None,
    metavar="SEVERITY|none",
    help="Exit 1 when a failing finding is at or above this severity; 'none' only reports. "
    "[default: the config file's output.fail_on, else low]",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="FMT",
    help="Format for standard output: console (default), json, junit, sarif, markdown or html.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FMT:PATH",
    help="Also write a report to a file, e.g. json:findings.json (repeatable).",
)
@click.option("-v", "--verbose", is_flag=True, help="List passing findings too.")
@_gate_options
@click.option(
    "--history",
    "history",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="AMLGUARD_HISTORY",
    help="Record this scan in a history database (SQLite; created if missing). Env: AMLGUARD_HISTORY.",
)
@click.option(
    "--history-scope",
    metavar="NAME",
    help="Record under this scope name instead of the source description (scans compare "
    "within a scope).",
)
@click.option(
    "--fail-on-new",
    is_flag=True,
    help="With --history: exit 1 only for failures new since the previous scan of the same scope.",
)
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
@_live_options
def check(
    snapshots: tuple[Path, ...],
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    severity: str | None,
    fail_on: str | None,
    fmt: str | None,
    outputs: tuple[str, ...],
    verbose: bool,
    config_path: Path | None,
    sarif_artifact: Path | None,
    no_suppressions: bool,
    baseline: Path | None,
    history: Path | None,
    history_scope: str | None,
    fail_on_new: bool,
    fix: bool = False,
    dry_run: bool = False,
    yes: bool = False,
    only: tuple[str, ...] = (),
    plan_out: Path | None = None,
    audit_log: Path | None = None,
    concurrency: int = 8,
    **live: Any,
) -> None:
    """Scan the estate and report where it drifted from the blueprint.

    Reads a --snapshot file, or, without one, Azure live through Resource Graph (see the live
    flags below; authentication: AMLGUARD_ACCESS_TOKEN if set, else DefaultAzureCredential).
    """
    # A check builds millions of acyclic objects (rows, findings) and exits: the cyclic
    # collector would only re-traverse them, costing ~40% of a large scan (BENCHMARKS.md).
    # Switched back on when the command's context closes, for in-process callers (tests).
    # Not for --fix: applying a plan is a long conversation with Azure, not one pass.
    if gc.isenabled() and not (fix or dry_run):
        gc.disable()
        click.get_current_context().call_on_close(gc.enable)
    from amlguard import app, config
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
            config_path,
            no_suppressions,
            live,
        )
        return
    if yes or only or plan_out or audit_log:
        _fail(AmlguardErrorForUsage("--yes, --only, --plan-out and --audit-log need --fix"))
    try:
        if fmt and ":" in fmt:
            raise AmlguardErrorForUsage(
                f"--format {fmt!r}: --format names the format of standard output; "
                "use --output FMT:PATH to write a file"
            )
        cfg = _config(config_path)
        eff = config.resolve(
            cfg,
            fail_on=fail_on,
            fmt=fmt,
            outputs=outputs,
            severity=severity,
            sarif_artifact=sarif_artifact,
        )
        targets = [app.parse_output(eff.format, "--format")]
        targets += [app.parse_output(o) for o in eff.outputs]
        if any(t.path is None for t in targets[1:]):
            raise AmlguardErrorForUsage("--output needs FMT:PATH; use --format for standard output")
        from amlguard.azure.clients import resolve_cloud

        scan_options = config.scan_options(cfg, cloud=resolve_cloud(live["cloud"]).name)
        reporter = None
        if snapshots:
            given = _live_flags_given(live)
            if given:
                raise AmlguardErrorForUsage(
                    f"{', '.join(given)} only apply to live scans, not with --snapshot"
                )
            from amlguard.scanner.sources.snapshot import SnapshotSource

            source: Any = SnapshotSource(list(snapshots))
        else:
            reporter = _reporter(live["quiet"])
            source = app.live_source(_live_request(live, cfg), reporter, scan_options=scan_options)
        request = app.CheckRequest(
            source=source,
            policies=list(policies) + list(cfg.policies),
            rule_ids=list(rule_ids),
            min_severity=Severity.parse(eff.min_severity) if eff.min_severity else None,
            fail_on=app.parse_fail_on(eff.fail_on),
            outputs=targets,
            verbose=verbose,
            color=_color_wanted(sys.stdout) and eff.format == "console",
            scan_options=scan_options,
            config=cfg,
            use_suppressions=not no_suppressions,
            baseline=baseline,
            sarif_artifact=eff.sarif_artifact,
            history=history,
            history_scope=history_scope,
            fail_on_new=fail_on_new,
        )
        if reporter is not None:
            with reporter:
                outcome = app.run_check(request)
        else:
            outcome = app.run_check(request)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(outcome.stdout, nl=False)
    if outcome.history is not None:
        click.echo(f"amlguard: {outcome.history.summary()}", err=True)
    sys.exit(outcome.exit_code)


class AmlguardErrorForUsage(AmlguardError):
    """A flag combination that cannot work."""


@cli.command()
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
@_live_options
def snapshot(
    output: Path, policies: tuple[Path, ...], config_path: Path | None, **live: Any
) -> None:
    """Read the estate live and save it for 'check --snapshot' (audit evidence, offline work).

    Exits 3 when the read was incomplete; the file then records the gaps, and a check on it
    reports the same errors the live check would.
    """
    from amlguard import app, config

    try:
        cfg = _config(config_path)
        reporter = _reporter(live["quiet"])
        source = app.live_source(
            _live_request(live, cfg), reporter, scan_options=config.scan_options(cfg)
        )
        extra = list(policies) + list(cfg.policies)
        if reporter is not None:
            with reporter:
                outcome = app.run_snapshot(source, output, extra)
        else:
            outcome = app.run_snapshot(source, output, extra)
    except AmlguardError as exc:
        _fail(exc)
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


def _live_source(live: dict[str, Any], cfg: Any, scan_options: Any) -> Source:
    """The live Resource Graph source for ``check --fix`` (same flags as ``check``)."""
    from amlguard import app

    return app.live_source(_live_request(live, cfg), None, scan_options=scan_options)


def _client_settings(live: dict[str, Any] | None) -> Any:
    """Remediation's client settings from the live flags (endpoint, CA bundle, credential).

    The credential comes from the one factory (``AMLGUARD_ACCESS_TOKEN``, else
    DefaultAzureCredential with ``--tenant``); without live flags (``apply``), the environment
    variables remediation documents still work.
    """
    from amlguard.azure.clients import AzureSettings, make_credential, resolve_cloud, validate
    from amlguard.remediate.clients import ClientSettings, settings_from_env

    if live is None:
        return settings_from_env()
    azure = validate(
        AzureSettings(
            cloud=resolve_cloud(live["cloud"]).name,
            arm_endpoint=live["arm_endpoint"],
            ca_bundle=str(live["ca_bundle"]) if live["ca_bundle"] else None,
            tenant=live["tenant"],
        )
    )
    return ClientSettings(
        credential=make_credential(azure),
        arm_endpoint=azure.endpoint,
        ca_bundle=azure.ca_bundle,
        cloud=azure.cloud,
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
    config_path: Path | None = None,
    no_suppressions: bool = False,
    live: dict[str, Any] | None = None,
) -> None:
    """``check --fix``: scan, plan, confirm, apply, verify (remediation is imported only here)."""
    from rich.console import Console

    from amlguard import app, config
    from amlguard.remediate import fix as remediate
    from amlguard.scanner.model import Severity

    console = Console(highlight=False)
    clients = None
    try:
        cfg = _config(config_path)
        eff = config.resolve(
            cfg, fail_on=None, fmt=None, outputs=(), severity=severity, sarif_artifact=None
        )
        if snapshots:
            from amlguard.scanner.sources.snapshot import SnapshotSource

            source: Source = SnapshotSource(list(snapshots))
        else:
            from amlguard.remediate.clients import SdkClients

            source = _live_source(live or {}, cfg, config.scan_options(cfg))
            clients = SdkClients(_client_settings(live))
        request = app.CheckRequest(
            source=source,
            policies=list(policies) + list(cfg.policies),
            rule_ids=list(rule_ids),
            min_severity=Severity.parse(eff.min_severity) if eff.min_severity else None,
            scan_options=config.scan_options(cfg),
            config=cfg,
            use_suppressions=not no_suppressions,
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
@click.option(
    "--policies",
    "extra",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also load the rule files in this directory or file (repeatable).",
)
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
@click.option(
    "--policies",
    "extra",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also load the rule files in this directory or file (repeatable).",
)
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
    """Check rule files (default: the built-in pack); every problem as file:line:col.

    A directory is checked as ``check --policies DIR`` would load it: with the built-in pack,
    so an id that clashes with a built-in rule is reported too.
    """
    from amlguard.scanner.rules import load_pack

    try:
        pack = load_pack([directory] if directory else [])
    except AmlguardError as exc:
        _fail(exc)
        return
    if directory is None:
        click.echo(f"{len(pack.rules)} rule(s) in {len(pack.files)} file(s) are valid.")
        return
    builtin = "amlguard/policies/rules/"
    files = [f for f in pack.files if not f.startswith(builtin)]
    rules = [r for r in pack.rules if not r.source.startswith(builtin)]
    click.echo(
        f"{len(rules)} rule(s) in {len(files)} file(s) under {directory} are valid "
        "(no id clashes with the built-in pack)."
    )


@cli.group()
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
@click.option("--severity", type=click.Choice(_SEVERITIES, case_sensitive=False))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--no-suppressions", is_flag=True, help="Record suppressed failures too.")
@_live_options
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
        cfg = _config(config_path)
        eff = config.resolve(cfg, severity=severity)
        source: Any
        if snapshots:
            from amlguard.scanner.sources.snapshot import SnapshotSource

            source = SnapshotSource(list(snapshots))
        else:
            source = _live_source(live, cfg, config.scan_options(cfg))
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
        _fail(exc)
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


_HISTORY_OPTION = click.option(
    "--history",
    "history",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="AMLGUARD_HISTORY",
    help="The history database written by check --history. Env: AMLGUARD_HISTORY.",
)
_SCOPE_OPTION = click.option(
    "--scope", metavar="SCOPE", help="Only scans recorded under this scope (see history list)."
)


@cli.group("history")
def history_group() -> None:
    """List, show and prune the scans recorded by check --history."""


@history_group.command("list")
@_HISTORY_OPTION
@_SCOPE_OPTION
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N scans.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def history_list(history: Path, scope: str | None, limit: int | None, fmt: str) -> None:
    """One line per recorded scan: id, time, counts, completeness, scope."""
    from amlguard.history.render import render_scans
    from amlguard.history.store import HistoryStore

    try:
        with HistoryStore(history, create=False) as store:
            scans = store.scans(scope, limit)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(render_scans(scans, fmt), nl=False)


@history_group.command("show")
@click.argument("scan", default="latest")
@_HISTORY_OPTION
@_SCOPE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-v", "--verbose", is_flag=True, help="All findings, not only failing ones.")
def history_show(scan: str, history: Path, scope: str | None, fmt: str, verbose: bool) -> None:
    """One scan (an id, 'latest' or 'latest~N'): metadata and failing findings."""
    from amlguard.history.render import render_scan
    from amlguard.history.store import HistoryStore

    try:
        with HistoryStore(history, create=False) as store:
            record = store.scan(scan, scope)
            findings = store.findings(record.id)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(render_scan(record, findings, fmt, verbose), nl=False)


@history_group.command("prune")
@_HISTORY_OPTION
@click.option("--keep", type=click.IntRange(min=1), help="Keep the newest N scans of each scope.")
@click.option(
    "--before",
    metavar="DATE",
    help="Delete scans taken before this ISO date (e.g. 2026-01-01).",
)
def history_prune(history: Path, keep: int | None, before: str | None) -> None:
    """Delete old scans (and their findings) and compact the file."""
    import datetime as dt

    from amlguard.history.store import HistoryStore

    try:
        if before is not None:
            try:
                dt.date.fromisoformat(before[:10])
            except ValueError:
                raise AmlguardErrorForUsage(
                    f"--before {before!r}: not an ISO date (YYYY-MM-DD)"
                ) from None
        with HistoryStore(history, create=False) as store:
            removed = store.prune(keep, before)
    except AmlguardError as exc:
        _fail(exc)
        return
    click.echo(f"Deleted {removed} scan(s) from {history}.")


@cli.command("diff")
@_HISTORY_OPTION
@click.option(
    "--from",
    "from_ref",
    metavar="SCAN",
    help="Earlier scan (default: the one before --to in its scope).",
)
@click.option(
    "--to",
    "to_ref",
    metavar="SCAN",
    help="Later scan: id, 'latest' or 'latest~N' (default: latest).",
)
@_SCOPE_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["console", "json", "markdown"]), default="console"
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
@click.option("--fail-on-new", is_flag=True, help="Exit 1 when the later scan has new failures.")
def diff_command(
    history: Path,
    from_ref: str | None,
    to_ref: str | None,
    scope: str | None,
    fmt: str,
    output: Path | None,
    fail_on_new: bool,
) -> None:
    """Drift between two recorded scans: new, resolved, still failing (with first-seen dates)."""
    from amlguard.history.diff import diff_scans
    from amlguard.history.render import render_diff
    from amlguard.history.store import HistoryStore

    try:
        with HistoryStore(history, create=False) as store:
            drift = diff_scans(store, from_ref, to_ref, scope)
        text = render_diff(
            drift, fmt, color=output is None and fmt == "console" and _color_wanted(sys.stdout)
        )
        if output is not None:
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise AmlguardErrorForUsage(
                    f"{output}: cannot write the diff: {exc.strerror}"
                ) from None
    except AmlguardError as exc:
        _fail(exc)
        return
    if output is None:
        click.echo(text, nl=False)
    sys.exit(1 if fail_on_new and drift.new else 0)


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
