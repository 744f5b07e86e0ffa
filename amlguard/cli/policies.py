"""``amlguard policies``: list, show and validate rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from amlguard.cli import options
from amlguard.errors import EXIT_USAGE

if TYPE_CHECKING:
    from amlguard.scanner.rules import Rule, RulePack


@click.group()
def policies() -> None:
    """List, show and validate rules."""


def _pack(extra: tuple[Path, ...]) -> RulePack:
    from amlguard.scanner.rules import load_pack

    return load_pack(list(extra))


@policies.command("list")
@options.policies_option("extra")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def policies_list(extra: tuple[Path, ...], fmt: str) -> None:
    """One line per rule: id, severity, fixable, whether it runs by default, title."""
    from amlguard.ruleselect import default_on_text, opt_in_tags

    pack = _pack(extra)
    opt_in = opt_in_tags(pack)

    def turned_on_by(rule: Rule) -> list[str]:
        return sorted({t.lower() for t in rule.tags} & opt_in)

    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "severity": r.severity.label,
                "fixable": r.fixable,
                "default": not turned_on_by(r),
                "opt_in_tags": turned_on_by(r),
                "default_on_when": default_on_text(r, opt_in),
                "title": r.title,
            }
            for r in pack.rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.id) for r in pack.rules)

    def on_text(rule: Rule) -> str:
        tags, where = turned_on_by(rule), default_on_text(rule, opt_in)
        if not tags:
            return "yes"
        return f"{where}; else --tag {tags[0]}" if where else f"--tag {tags[0]}"

    on_width = max(len(on_text(r)) for r in pack.rules)
    click.echo(f"{'ID':<{width}}  {'SEVERITY':<8}  {'FIX':<6}  {'ON':<{on_width}}  TITLE")
    for r in pack.rules:
        fix = "auto" if r.fixable else "manual"
        on = on_text(r)
        click.echo(f"{r.id:<{width}}  {r.severity.label:<8}  {fix:<6}  {on:<{on_width}}  {r.title}")
    if opt_in:
        click.echo(
            f"\nON: 'yes' runs by default; '--tag TAG' runs only with that flag, the config's "
            f"rules.include_tags, or --rule ID (opt-in tags: {', '.join(sorted(opt_in))}); "
            f"'WHERE; else --tag TAG' runs by default only in the instances named."
        )


@policies.command("show")
@click.argument("rule_id")
@options.policies_option("extra")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def policies_show(rule_id: str, extra: tuple[Path, ...], fmt: str) -> None:
    """The full text and parameters of one rule."""

    pack = _pack(extra)
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
    from amlguard.reports.ruledocs import doc_url

    url = doc_url(rule)
    if url:
        click.echo(f"Documentation: {url}")
    click.echo(f"Defined at: {rule.source}")


@policies.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def policies_validate(directory: Path | None) -> None:
    """Check rule files (default: the built-in pack); every problem as file:line:col.

    A directory is checked as ``check --policies DIR`` would load it: with the built-in pack,
    so an id that clashes with a built-in rule is reported too.
    """
    from amlguard.scanner.rules import load_pack

    pack = load_pack([directory] if directory else [])
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


@policies.command("docs")
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the pages (created): one <ID>.md per rule and a README.md index.",
)
@options.policies_option("extra")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing the pages that differ from the rules.",
)
def policies_docs(folder: Path, extra: tuple[Path, ...], check: bool) -> None:
    """Write one Markdown page per rule: what passes, what it reads, examples, fix, references.

    With --policies the custom rules get pages too. The repository's docs/rules is
    generated by 'amlguard policies docs -o docs/rules'.
    """
    from amlguard.errors import InputError
    from amlguard.reports import ruledocs

    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: not a folder (policies docs -o names a folder to write)")
    if check:
        stale = ruledocs.out_of_date(folder, extra)
        for name in stale:
            click.echo(f"{folder / name}: differs from the rules")
        if stale:
            click.echo(
                f"{len(stale)} page(s) out of date; regenerate: amlguard policies docs -o {folder}"
                + "".join(f" --policies {p}" for p in extra),
                err=True,
            )
            sys.exit(1)
        click.echo(f"The pages in {folder} match the rules.")
        return
    try:
        written = ruledocs.write_pages(folder, extra)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the pages: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {len(written) - 1} rule page(s) and {ruledocs.INDEX} to {folder}.")


def describe_rule(rule: Any) -> dict[str, Any]:
    """The full text of a rule as ``policies show`` prints it."""
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity.label,
        "title": rule.title,
        "description": rule.description,
        "rationale": rule.rationale,
        "target": rule.target,
        "fixable": rule.fixable,
        "remediation": {
            "summary": rule.remediation.summary,
            "remediator": rule.remediation.remediator,
            "manual": rule.remediation.manual,
        },
        "parameters": {
            p.name: {"default": p.default, "description": p.description} for p in rule.parameters
        },
        "references": list(rule.references),
        "tags": list(rule.tags),
        "source": rule.source,
    }
