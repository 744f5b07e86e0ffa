"""``amlguard history`` and ``amlguard diff``: the scans recorded by ``check --history``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from amlguard.cli.terminal import AmlguardErrorForUsage, color_wanted
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK

HISTORY_OPTION = click.option(
    "--history",
    "history",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="AMLGUARD_HISTORY",
    help="The history database written by check --history. Env: AMLGUARD_HISTORY. "
    "[default: history.path of amlguard.yaml in the working directory]",
)
CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file whose history.path names the database (default: amlguard.yaml in the "
    "working directory, if any).",
)
SCOPE_OPTION = click.option(
    "--scope", metavar="SCOPE", help="Only scans recorded under this scope (see history list)."
)


def _database(given: Path | None, config_path: Path | None) -> Path:
    """``--history``, else the config file's ``history.path``."""
    if given is not None:
        return given
    from amlguard import config

    found = config.find_config(config_path)
    path = config.load_config(found).history_path if found else None
    if path is None:
        raise AmlguardErrorForUsage(
            "no history database: pass --history PATH, set AMLGUARD_HISTORY, or set "
            "history.path in amlguard.yaml"
        )
    return path


@click.group("history")
def history_group() -> None:
    """List, show and prune the scans recorded by check --history."""


@history_group.command("list")
@HISTORY_OPTION
@CONFIG_OPTION
@SCOPE_OPTION
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N scans.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def history_list(
    history: Path | None, config_path: Path | None, scope: str | None, limit: int | None, fmt: str
) -> None:
    """One line per recorded scan: id, time, counts, completeness, scope."""
    from amlguard.history.render import render_scans
    from amlguard.history.store import HistoryStore

    with HistoryStore(_database(history, config_path), create=False) as store:
        scans = store.scans(scope, limit)
    click.echo(render_scans(scans, fmt), nl=False)


@history_group.command("show")
@click.argument("scan", default="latest")
@HISTORY_OPTION
@CONFIG_OPTION
@SCOPE_OPTION
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-v", "--verbose", is_flag=True, help="All findings, not only failing ones.")
def history_show(
    scan: str,
    history: Path | None,
    config_path: Path | None,
    scope: str | None,
    fmt: str,
    verbose: bool,
) -> None:
    """One scan (an id, 'latest' or 'latest~N'): metadata and failing findings."""
    from amlguard.history.render import render_scan
    from amlguard.history.store import HistoryStore

    with HistoryStore(_database(history, config_path), create=False) as store:
        record = store.scan(scan, scope)
        findings = store.findings(record.id)
    click.echo(render_scan(record, findings, fmt, verbose), nl=False)


@history_group.command("prune")
@HISTORY_OPTION
@CONFIG_OPTION
@click.option("--keep", type=click.IntRange(min=1), help="Keep the newest N scans of each scope.")
@click.option(
    "--before",
    metavar="DATE",
    help="Delete scans taken before this instant: YYYY-MM-DD (midnight UTC) or "
    "YYYY-MM-DDTHH:MM:SSZ.",
)
@click.option(
    "--all",
    "include_latest",
    is_flag=True,
    help="Also delete the latest scan of a scope (kept otherwise, whatever the other options).",
)
@click.option("--dry-run", is_flag=True, help="List the scans that would go; delete nothing.")
def history_prune(
    history: Path | None,
    config_path: Path | None,
    keep: int | None,
    before: str | None,
    include_latest: bool,
    dry_run: bool,
) -> None:
    """Delete old scans (and their findings) and compact the file."""
    from amlguard.excerpt import excerpt
    from amlguard.history.instants import before_option
    from amlguard.history.store import HistoryStore

    instant = before_option(before) if before is not None else None
    database = _database(history, config_path)
    with HistoryStore(database, create=False) as store:
        gone = store.prune(keep, instant, keep_latest=not include_latest, dry_run=dry_run)
    for scan in gone:
        click.echo(
            f"{'would delete' if dry_run else 'deleted'} scan {scan.id} "
            f"({excerpt(scan.scan_time)}, scope {excerpt(scan.scope)})"
        )
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {len(gone)} scan(s) from {database}.")


@click.command("diff")
@HISTORY_OPTION
@CONFIG_OPTION
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
@SCOPE_OPTION
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["console", "json", "markdown"]), default="console"
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
@click.option(
    "--fail-on-new",
    is_flag=True,
    help="Exit 1 when the later scan has new failures (3 when it is incomplete).",
)
def diff_command(
    history: Path | None,
    config_path: Path | None,
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

    with HistoryStore(_database(history, config_path), create=False) as store:
        drift = diff_scans(store, from_ref, to_ref, scope)
    text = render_diff(
        drift, fmt, color=output is None and fmt == "console" and color_wanted(sys.stdout)
    )
    if output is not None:
        from amlguard.outputfile import write_output

        write_output(output, text, "the diff")
    if output is None:
        click.echo(text, nl=False)
    if fail_on_new and not drift.after.complete:
        # "0 new" of a scan that could not judge everything is no verdict: fail closed.
        click.echo(
            f"amlguard: scan {drift.after.id} is incomplete: --fail-on-new cannot pass it",
            err=True,
        )
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_FINDINGS if fail_on_new and drift.new else EXIT_OK)
