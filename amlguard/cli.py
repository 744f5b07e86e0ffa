"""The command line: parse, call :mod:`amlguard.app`, print, exit. No logic lives here."""

from __future__ import annotations

import gc
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
def check(
    snapshots: tuple[Path, ...],
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    severity: str | None,
    fail_on: str,
    fmt: str | None,
    outputs: tuple[str, ...],
    verbose: bool,
) -> None:
    """Scan the estate and report where it drifted from the blueprint."""
    # A check builds millions of acyclic objects (rows, findings) and exits: the cyclic
    # collector would only re-traverse them, costing ~40% of a large scan (BENCHMARKS.md).
    gc.disable()
    from amlguard import app
    from amlguard.scanner.model import Severity

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
