"""``amlguard check``: scan, report, gate; with ``--fix``, plan and repair too."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli import options, terminal
from amlguard.cli.terminal import AmlguardErrorForUsage, color_wanted, fail
from amlguard.errors import AmlguardError


@click.command()
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read the estate from a snapshot file instead of Azure (repeatable; JSON, JSON Lines, gzip).",
)
@options.policies_option()
@click.option(
    "--rule", "rule_ids", multiple=True, metavar="ID", help="Run only this rule (repeatable)."
)
@click.option(
    "--severity",
    type=click.Choice(options.SEVERITIES, case_sensitive=False),
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
@options.gate_options
@click.option(
    "--history",
    "history",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="AMLGUARD_HISTORY",
    help="Record this scan in a history database (SQLite; created if missing). Env: "
    "AMLGUARD_HISTORY. [default: the config file's history.path]",
)
@click.option(
    "--no-history",
    is_flag=True,
    help="Do not record this scan, whatever AMLGUARD_HISTORY or the config file say.",
)
@click.option(
    "--history-scope",
    metavar="NAME",
    help="Record under this scope name instead of the source description (scans compare "
    "within a scope).",
)
@click.option(
    "--fail-on-new/--no-fail-on-new",
    default=None,
    help="With --history: exit 1 only for failures new since the previous scan of the same "
    "scope. [default: the config file's history.fail_on_new, else off]",
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
@options.live_options
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
    no_history: bool,
    history_scope: str | None,
    fail_on_new: bool | None,
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
        click.get_current_context().call_on_close(terminal.gc_back_on)
        terminal.skip_teardown_on_exit()
        if terminal.is_process_entry():  # it ends with os._exit: nothing to free one by one
            from amlguard.scanner.scan import keep_until_exit

            keep_until_exit()
    from amlguard import app, config

    if fix or dry_run:
        from amlguard.cli import remediation

        remediation.check_fix(
            live,
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
        )
        return
    if no_history and fail_on_new:
        fail(
            AmlguardErrorForUsage(
                "--fail-on-new compares with the history that --no-history turns off"
            )
        )
    if yes or only or plan_out or audit_log:
        fail(AmlguardErrorForUsage("--yes, --only, --plan-out and --audit-log need --fix"))
    try:
        if fmt and ":" in fmt:
            raise AmlguardErrorForUsage(
                f"--format {fmt!r}: --format names the format of standard output; "
                "use --output FMT:PATH to write a file"
            )
        cfg = options.load_config(config_path)
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

        reporter = None
        if snapshots:
            given = options.live_flags_given(live)
            if given:
                raise AmlguardErrorForUsage(
                    f"{', '.join(given)} only apply to live scans, not with --snapshot"
                )
        else:
            reporter = options.reporter(live["quiet"])
        source, scan_options = options.scan_setup(snapshots, live, cfg, reporter)
        request = options.check_request(
            source,
            scan_options,
            cfg,
            policies,
            rule_ids,
            eff.min_severity,
            no_suppressions,
            fail_on=app.parse_fail_on(eff.fail_on),
            outputs=targets,
            verbose=verbose,
            color=color_wanted(sys.stdout) and eff.format == "console",
            baseline=baseline,
            sarif_artifact=eff.sarif_artifact,
            history=None if no_history else history or cfg.history_path,
            history_scope=history_scope or cfg.history_scope,
            fail_on_new=(
                cfg.history_fail_on_new and not no_history if fail_on_new is None else fail_on_new
            ),
        )
        if reporter is not None:
            with reporter:
                outcome = app.run_check(request)
        else:
            outcome = app.run_check(request)
    except AmlguardError as exc:
        fail(exc)
        return
    terminal.echo_report(outcome.stdout)
    if outcome.history is not None:
        click.echo(f"amlguard: {outcome.history.summary()}", err=True)
    sys.exit(outcome.exit_code)
