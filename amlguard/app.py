"""The application layer: one path from settings to verdict, shared by every scanning command.

``check``, ``check --fix``, ``baseline create`` and ``snapshot`` all come through
:func:`prepare_scan` (rules, source, collection, freshness, evaluation, gates); ``check`` then
optionally repairs, records history, writes reports and computes the exit code here, once.
The CLI parses flags into :class:`~amlguard.settings.CheckSettings`, calls one function of this
module, prints and exits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, HistoryError
from amlguard.history.scope import record_history
from amlguard.reports.interface import ReportOptions
from amlguard.reports.outputs import (
    artifacts,
    json_ahead,
    render,
    write_atomically,
    write_outputs,
)
from amlguard.scanner.model import ScanResult, Status
from amlguard.scanner.rules import Rule, RulePack
from amlguard.scanner.scan import ScanOptions, evaluate, forget_kept, scan_needs
from amlguard.scanner.sources import snapshotahead
from amlguard.scanner.sources.interface import Source
from amlguard.scansetup import build_source, load_rules, scan_options, snapshot_cloud
from amlguard.settings import CheckSettings, OutputTarget
from amlguard.verdict import apply_gates, exit_code, mark_gate, scope_warnings

if TYPE_CHECKING:
    from amlguard.config import Config

__all__ = [
    "CheckOutcome",
    "OutputTarget",
    "Prepared",
    "apply_gates",
    "artifacts",
    "build_source",
    "create_baseline",
    "exit_code",
    "load_rules",
    "prepare_scan",
    "render",
    "run_check",
    "run_snapshot",
    "scan_options",
    "write_atomically",
    "write_outputs",
]


@dataclass(slots=True)
class Prepared:
    """A judged scan and what produced it (the fix plans and re-evaluates from these)."""

    settings: CheckSettings
    pack: RulePack
    rules: list[Rule]
    options: ScanOptions
    rows: list[dict[str, Any]]
    result: ScanResult
    baseline: Any = None
    locations: dict[str, Any] = field(default_factory=dict)  # template scans: finding -> line


@dataclass(slots=True)
class CheckOutcome:
    """The final result, what goes to stdout, the files written, and the exit code."""

    result: ScanResult
    stdout: str
    exit_code: int
    written: list[Path]
    history: Any = None  # amlguard.history.gate.Recorded when a history was kept
    fix: Any = None  # amlguard.remediate.fix.Report when --fix ran
    messages: list[str] = field(default_factory=list)  # for standard error (failed exports)


# ------------------------------------------------------------------------------ the scan


def prepare_scan(
    settings: CheckSettings,
    reporter: Any = None,
    credential: Any = None,
    source: Source | None = None,
) -> Prepared:
    """Rules, source, collection, fresh ARM reads where asked, evaluation, then the gates."""
    pack, rules = load_rules(settings)
    baseline = None
    if settings.gate.baseline is not None:
        from amlguard.baseline import load as load_baseline

        baseline = load_baseline(settings.gate.baseline)  # a bad file fails before the scan
    from amlguard.azure.clouds import resolve_cloud

    options = scan_options(settings, pack, resolve_cloud(settings.connection.cloud).name)
    source = source or build_source(settings, options, pack, reporter, verify_ahead=True)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    needs = scan_needs(pack, rules, options)
    judge = partial(_judged, settings, pack, rules, options, baseline, source, needs, started)
    with snapshotahead.reaped():  # a verifier forked by the collection never outlives this
        collected = source.collect(needs)
        pending = collected.pending  # a snapshot still being verified beside this scan
        if pending is None:
            return judge(collected, credential)
        try:
            prepared = judge(collected, credential, pending)
        except Exception:
            # The error stands only on rows the verifier passed; on rows it did not, the
            # scan below words the rows' own error (Ctrl-C and exits just propagate).
            if pending.passed():
                raise
        else:
            if pending.passed():
                return prepared
            del prepared
    # Not proven (a doubt, a bad row, a verifier lost): the same bytes scanned again, verified
    # first, by the same rules and baseline; the unproven scan's memory let go before.
    del collected
    forget_kept()
    return judge(pending.serial.collect(needs), credential)


class _Unproven(Exception):
    """The rows' verifier refused them: the scan of them stops, to be made again serially."""


def _judged(
    settings: CheckSettings,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
    baseline: Any,
    source: Source,
    needs: Any,
    started: dt.datetime,
    collected: Any,
    credential: Any,
    pending: Any = None,
) -> Prepared:
    """:func:`prepare_scan` once the rows are collected: evaluation, then the gates.

    ``pending``: the rows' verifier (``snapshotahead.Pending``); when it has refused them
    before the evaluation starts, the evaluation is not run for nothing."""
    if settings.snapshots:
        _covered(collected, needs, rules)
    if settings.snapshots and _may_hold_template_rows(collected):
        from amlguard.iac.rowsfile import as_template_scan

        collected = as_template_scan(collected)  # a `template rows` file is judged as one
    options = replace(options, cloud=snapshot_cloud(settings, collected))
    rows, note = collected.rows, None
    if settings.live:
        rows, note = _live_reads(settings, pack, rules, options, collected, credential)
    when = started.isoformat().replace("+00:00", "Z")
    if pending is not None and pending.refused():
        raise _Unproven
    ahead = json_ahead(settings)  # JSON lines written while the evaluation's worker judges
    result = evaluate(rows, pack, rules, options, collected.info, started=when, json_ahead=ahead)
    if note:
        result.warnings.append(note)
    if settings.live and (settings.gate.confirm or settings.fix.enabled):
        from amlguard import freshness

        rows, result = freshness.confirm_failures(
            settings, pack, rules, options, rows, result, credential
        )
    scope_warnings(settings, result)
    apply_gates(result, settings, baseline)
    prepared = Prepared(settings, pack, rules, options, rows, result, baseline)
    prepared.locations = _template_locations(source, result)
    return prepared


def _covered(collected: Any, needs: Any, rules: list[Rule]) -> None:
    """Exit 2 when a snapshot amlguard wrote was not read for what ``rules`` need."""
    from amlguard.scanner.sources.denyreads import wanted
    from amlguard.snapshotcover import check_coverage

    check_coverage(collected.info.header, needs, wanted(rules), rules)


def _live_reads(
    settings: CheckSettings,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
    collected: Any,
    credential: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """What a live scan reads from ARM beside Resource Graph: the resources a recent fix
    changed (Resource Graph may lag), and deny assignments when a rule asks (AMLG-106); the
    check and ``amlguard snapshot`` read the same (redteam8 item 13)."""
    from amlguard import freshness
    from amlguard.azure.connect import client_factory
    from amlguard.scanner.scan import instance_settings
    from amlguard.scanner.sources.denyreads import add_deny_assignments

    rows, note = freshness.overlay_recent(settings, collected.rows, collected.info, credential)
    factory = client_factory(settings, credential)
    assembly = instance_settings(pack, options)
    rows = add_deny_assignments(factory, rows, rules, collected.info.gaps, assembly)
    return rows, note


def _may_hold_template_rows(collected: Any) -> bool:
    """Whether a snapshot's header may be a `template rows` file's (or fold one in): only then
    is the template reader imported (a plain snapshot check does not pay for it)."""
    header = collected.info.header
    return isinstance(header, dict) and (
        header.get("source") == "template" or "files" in header or "estate" in header
    )


def _template_locations(source: Source, result: ScanResult) -> dict[str, Any]:
    """Where each finding of a template scan is written: file, line, column, and related
    locations (the parameter's source, the module call sites)."""
    template: Any = getattr(source, "template", source)
    locate = getattr(template, "locate", None)
    if locate is None:
        return {}
    result.warnings.extend(getattr(template, "warnings", []))
    out: dict[str, Any] = {}
    for f in result.findings:
        where = locate(f.resource_id, f.path)
        if where is None:
            continue
        entry = dict(where.to_dict())
        related = [r.to_dict() for r in template.related(f.resource_id, f.path)]
        if related:
            entry["related"] = related
        out["|".join(f.key)] = entry
    return out


# ------------------------------------------------------------------------------ check


FixRunner = Callable[[Prepared], Any]


def run_check(
    settings: CheckSettings,
    reporter: Any = None,
    fixer: FixRunner | None = None,
    credential: Any = None,
    source: Source | None = None,
) -> CheckOutcome:
    """Scan (and, with ``fixer``, repair), record history, write every report, compute the exit.

    The reports and the exit code describe the state after a fix: a finding the fix verified
    from ARM is ``pass`` with ``fixed_by``; what remains keeps its status and gates as usual.
    """
    if settings.history.path is not None:
        from amlguard.history.gate import open_history

        open_history(settings.history.path)  # a bad history file fails before a long scan
    prepared = prepare_scan(settings, reporter, credential, source)
    fix_report = fixer(prepared) if fixer is not None else None
    result = prepared.result
    messages: list[str] = []
    try:
        recorded = record_history(settings, result)
    except HistoryError as exc:  # busy: the scan ran; its reports are written, exit 3
        if exc.exit_code != EXIT_INCOMPLETE:
            raise
        recorded = None
        messages.append(f"{exc} (this scan was not recorded)")
        result.warnings.append(f"{exc}: this scan was not recorded in the history")
    mark_gate(result, settings.gate, recorded)
    exported = _export(settings, result, recorded, credential)
    options = ReportOptions(
        verbose=settings.outputs.verbose,
        color=settings.outputs.color,
        fail_on=settings.gate.fail_on,
        compact=settings.outputs.compact,
        failed_only=settings.outputs.failed_only,
        extra={
            "artifacts": artifacts(settings),
            **({"locations": prepared.locations} if prepared.locations else {}),
            "loaded": loaded_text(settings, prepared),
            **(recorded.report_extra() if recorded else {}),
        },
    )
    stdout, written = write_outputs(result, list(settings.outputs.targets), options)
    code = exit_code(result, settings.gate, recorded)
    if messages and code in (EXIT_OK, EXIT_FINDINGS):
        code = EXIT_INCOMPLETE
    if exported:
        from amlguard.export.outputs import exit_code as export_exit
        from amlguard.export.outputs import failures

        code = export_exit(code, exported)
        messages += failures(exported)
    return CheckOutcome(result, stdout, code, written, recorded, fix_report, messages)


def _export(
    settings: CheckSettings, result: ScanResult, recorded: Any, credential: Any
) -> list[Any]:
    """``log-analytics:URL`` outputs: the findings sent to Azure Monitor Logs (before the
    reports are rendered, so their statistics count what was sent and accepted)."""
    if not settings.outputs.exports:
        return []
    from amlguard.azure.connect import client_factory
    from amlguard.export.outputs import export_all

    outcomes = export_all(
        result,
        list(settings.outputs.exports),
        client_factory(settings, credential),
        history=recorded,
    )
    result.source.stats["log_analytics"] = [o.to_dict() for o in outcomes]
    return outcomes


def loaded_text(settings: CheckSettings, prepared: Prepared) -> str:
    """What the run loaded: the config file and the rules, built-in and custom."""
    custom = sum(1 for r in prepared.rules if not str(r.source).startswith("amlguard/"))
    builtin = len(prepared.rules) - custom
    cfg = settings.config.path if settings.config is not None else None
    parts = [f"config {cfg}" if cfg else "no config file"]
    parts.append(f"{len(prepared.rules)} rule(s): {builtin} built-in, {custom} custom")
    files = [t.describe() for t in settings.outputs.targets if t.path is not None]
    if files:
        parts.append("outputs " + ", ".join(files))
    return "; ".join(parts)


# ------------------------------------------------------------------------------ others


def create_baseline(
    settings: CheckSettings, path: Path, reporter: Any = None
) -> tuple[ScanResult, int, int]:
    """Scan and write today's failing findings to ``path``: (result, count, exit code).

    An incomplete scan still writes the file (its unjudged findings will show up as new later,
    which fails closed) but exits 3 so the pipeline notices.
    """
    from amlguard.baseline import write
    from amlguard.outputfile import refuse_inputs
    from amlguard.settings import input_paths

    refuse_inputs(path, input_paths(settings), f"the baseline {path}")
    result = prepare_scan(settings, reporter).result
    count = write(path, result)
    incomplete = not result.source.complete or any(
        f.status is Status.ERROR for f in result.findings
    )
    return result, count, EXIT_INCOMPLETE if incomplete else EXIT_OK


@dataclass(slots=True)
class SnapshotOutcome:
    """What ``amlguard snapshot`` wrote, and its exit code (3 when the read was incomplete)."""

    path: Path
    rows: int
    info: Any
    exit_code: int
    warnings: list[str] = field(default_factory=list)


def run_snapshot(
    settings: CheckSettings, path: Path, reporter: Any = None, source: Source | None = None
) -> SnapshotOutcome:
    """Collect what the selected rules need and write it where ``check --snapshot`` reads it.

    The header records the cloud and scope, so a later check judges it as read.
    """
    from amlguard.azure.clouds import resolve_cloud
    from amlguard.outputfile import refuse_inputs
    from amlguard.scanner.sources.snapshot import write_snapshot
    from amlguard.settings import input_paths

    refuse_inputs(path, input_paths(settings), f"the snapshot {path}")
    pack, rules = load_rules(settings)
    cloud = resolve_cloud(settings.connection.cloud).name
    options = scan_options(settings, pack, cloud)
    source = source or build_source(settings, options, pack, reporter)
    needs = scan_needs(pack, rules, options)
    collected = source.collect(needs)
    rows, note = collected.rows, None
    if settings.live:
        rows, note = _live_reads(settings, pack, rules, options, collected, None)
    from amlguard.scanner.sources.denyreads import wanted
    from amlguard.snapshotcover import READ_FOR, read_for

    header = dict(collected.info.header)
    header["gaps"] = [{"reason": g.reason, "scope": g.scope} for g in collected.info.gaps]
    header["cloud"] = cloud
    header["rule_pack"] = {"version": pack.version, "hash": pack.digest}
    header[READ_FOR] = read_for(needs, wanted(rules))
    write_snapshot(path, rows, header)
    code = EXIT_OK if collected.info.complete else EXIT_INCOMPLETE
    return SnapshotOutcome(path, len(rows), collected.info, code, [note] if note else [])


def config_for(path: Path | None) -> Config:
    """The config file given or found in the working directory (defaults when there is none)."""
    from amlguard import config

    found = config.find_config(path)
    return config.load_config(found) if found else config.Config()
