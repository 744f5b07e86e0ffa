"""The application layer: one path from settings to verdict, shared by every scanning command.

``check``, ``check --fix``, ``baseline create`` and ``snapshot`` all come through
:func:`prepare_scan` (rules, source, collection, freshness, evaluation, gates); ``check`` then
optionally repairs, records history, writes reports and computes the exit code here, once.
The CLI parses flags into :class:`~amlguard.settings.CheckSettings`, calls one function of this
module, prints and exits.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, HistoryError, InputError
from amlguard.reports import registry
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import Gap, ScanResult, Severity, Status
from amlguard.scanner.rules import Rule, RulePack, load_pack
from amlguard.scanner.scan import ScanOptions, evaluate, needs_of, select_rules
from amlguard.scanner.sources.interface import Collected, Source
from amlguard.settings import CheckSettings, Gate, OutputTarget, Templates

if TYPE_CHECKING:
    from amlguard.config import Config

__all__ = [
    "CheckOutcome",
    "OutputTarget",
    "Prepared",
    "create_baseline",
    "exit_code",
    "prepare_scan",
    "run_check",
    "run_snapshot",
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


# ------------------------------------------------------------------------------ rules


def load_rules(settings: CheckSettings) -> tuple[RulePack, list[Rule]]:
    """The pack plus ``--policies``, narrowed by flags and config; nothing selected is an error."""
    from amlguard.ruleselect import narrow, opt_in_tags

    pack = load_pack(list(settings.selection.policies))
    opt_in = opt_in_tags(pack)
    sel = settings.selection
    rule_ids = list(sel.rule_ids)
    cfg = settings.config
    described = sel.described
    enabled: tuple[str, ...] = ()
    named: list[str] = list(rule_ids)
    if cfg is not None and cfg.path is not None:
        from amlguard.config import check_against_pack, selected_rule_ids

        check_against_pack(cfg, pack)
        enabled = cfg.include_tags
        if not rule_ids:
            rule_ids = selected_rule_ids(cfg, pack)
            # not rule_ids: a rule the config keeps only by its default_on_when stays conditional
            named = list(cfg.include)
            if rule_ids and not described:
                described = f"the rules selection of {cfg.path}"
    rules = select_rules(pack, rule_ids, sel.min_severity)
    unknown = [r for r in sel.skip_rules if pack.get(r) is None]
    if unknown:
        raise InputError(
            f"--skip-rule: unknown rule id(s): {', '.join(unknown)} (see 'amlguard policies list')"
        )
    rules = [r for r in rules if r.id not in sel.skip_rules]
    rules = narrow(rules, sel.include_tags, opt_in, enabled=enabled, named=named)
    if not rules:
        raise InputError(
            f"no rule is selected by {described or 'the rule selection'}: nothing would be judged "
            "(see 'amlguard policies list' for ids, tags and severities)"
        )
    return pack, rules


def scan_options(settings: CheckSettings, pack: RulePack, cloud: str) -> ScanOptions:
    """Rule parameters and instance settings: config (and its shortcuts) over the pack."""
    cfg = settings.config
    shortcuts = pack.settings.get("config_shortcuts") or {}
    parameters = cfg.parameters_with_shortcuts(shortcuts) if cfg is not None else {}
    return ScanOptions(
        cloud=cloud,
        parameters=parameters,
        integration_selector=dict(settings.integration_selector)
        if settings.integration_selector
        else None,
        solution_subnet=settings.solution_subnet,
        network_isolation=cfg.network_isolation if cfg is not None else None,
    )


# ------------------------------------------------------------------------------ sources


def build_source(
    settings: CheckSettings, options: ScanOptions, pack: RulePack, reporter: Any = None
) -> Source:
    """The snapshot files, Azure live through Resource Graph, or templates before deployment
    (alone, or laid over the snapshot or live estate: same-id rows are the template's)."""
    templates = _template_source(settings)
    if templates is None:
        return _estate_source(settings, options, pack, reporter)
    if not (settings.snapshots or settings.live):
        return templates
    from amlguard.iac.combined import CombinedSource

    return CombinedSource(templates, _estate_source(settings, options, pack, reporter))


def _template_source(settings: CheckSettings) -> Any:
    if not settings.has_templates:
        return None
    from amlguard.iac.settings import template_source

    cfg = settings.config
    t = settings.templates
    base = Path(cfg.path).parent if cfg is not None and cfg.path else Path.cwd()
    return template_source(
        cfg.iac if cfg is not None else None,
        base,
        templates=list(t.paths),
        parameter_files=list(t.parameter_files),
        parameters=dict(t.parameters),
        subscription=t.subscription,
        resource_group=t.resource_group,
        location=t.location,
    )


def _estate_source(
    settings: CheckSettings, options: ScanOptions, pack: RulePack, reporter: Any = None
) -> Source:
    if settings.snapshots:
        from amlguard.scanner.sources.snapshot import SnapshotSource

        return SnapshotSource(list(settings.snapshots))
    from amlguard.azure.connect import client_factory
    from amlguard.scanner.scan import instance_settings
    from amlguard.scanner.sources.live import LiveOptions, LiveScope
    from amlguard.scanner.sources.resourcegraph import ResourceGraphSource

    scope = settings.scope
    return ResourceGraphSource(
        client_factory(settings),
        LiveScope(scope.subscriptions, scope.management_groups, scope.resource_groups),
        LiveOptions(batch_size=settings.connection.batch_size),
        instance_settings=instance_settings(pack, options),
        reporter=reporter,
    )


def _snapshot_cloud(settings: CheckSettings, collected: Collected) -> str:
    """A snapshot is evidence: it is judged in the cloud it was read from."""
    from amlguard.azure.clouds import resolve_cloud

    given = resolve_cloud(settings.connection.cloud).name
    header = collected.info.header
    recorded = header.get("cloud") if isinstance(header, dict) else None
    if not settings.snapshots or not isinstance(recorded, str) or not recorded:
        return given
    try:
        recorded = resolve_cloud(recorded).name
    except InputError:
        raise InputError(f"{settings.snapshots[0]}: the snapshot names an unknown cloud") from None
    if settings.connection.cloud_given and recorded != given:
        raise InputError(
            f"--cloud {given} disagrees with the snapshot, which was read from {recorded}"
        )
    return recorded


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
    source = source or build_source(settings, options, pack, reporter)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    collected = source.collect(needs_of(rules, options.parameters))
    options = replace(options, cloud=_snapshot_cloud(settings, collected))
    rows = collected.rows
    note = None
    if settings.live:
        from amlguard import freshness

        rows, note = freshness.overlay_recent(settings, rows, collected.info, credential)
        # deny assignments are not in Resource Graph: read from ARM when a rule asks (AMLG-106)
        from amlguard.azure.connect import client_factory
        from amlguard.scanner.scan import instance_settings
        from amlguard.scanner.sources.denyreads import add_deny_assignments

        factory = client_factory(settings, credential)
        assembly = instance_settings(pack, options)
        rows = add_deny_assignments(factory, rows, rules, collected.info.gaps, assembly)
    when = started.isoformat().replace("+00:00", "Z")
    result = evaluate(rows, pack, rules, options, collected.info, started=when)
    if note:
        result.warnings.append(note)
    if settings.live and (settings.gate.confirm or settings.fix.enabled):
        from amlguard import freshness

        rows, result = freshness.confirm_failures(
            settings, pack, rules, options, rows, result, credential
        )
    _scope_warnings(settings, result)
    apply_gates(result, settings, baseline)
    prepared = Prepared(settings, pack, rules, options, rows, result, baseline)
    prepared.locations = _template_locations(source, result)
    return prepared


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


def _scope_warnings(settings: CheckSettings, result: ScanResult) -> None:
    """A readable scope with no workspace is said in every report; with ``--fail-on-empty`` it
    is a gap (exit 3): a gate that judged nothing has not passed."""
    if result.instances:
        _idle_rules(result)
        return
    text = f"no Azure Machine Learning workspace was found in {result.source.description}"
    if settings.gate.fail_on_empty:
        result.source.gaps.append(Gap(f"{text} (--fail-on-empty)"))
    else:
        result.warnings.append(f"{text}: nothing was judged")


def _idle_rules(result: ScanResult) -> None:
    """Rules that judged nothing although there were workspaces. When no selected rule judged
    anything the scan is a gap (exit 3): PASSED would be a claim about nothing. A custom rule
    that judged nothing is a warning (a typo in its ``target.types`` selects no resource);
    built-in rules legitimately idle where the estate has no such resource (no projects)."""
    from amlguard.scanner.rules import is_builtin

    judged = {f.rule_id for f in result.findings}
    if not judged:
        ids_ = ", ".join(r.id for r in result.rules)
        result.source.gaps.append(
            Gap(
                f"the selected rules ({ids_}) judged no resource of the {len(result.instances)} "
                "workspace(s) found: check their targets"
            )
        )
        return
    for rule in result.rules:
        if rule.id not in judged and not is_builtin(rule):
            result.warnings.append(
                f"custom rule {rule.id} judged no resource in this scan: check its target "
                f"({rule.source})"
            )


def apply_gates(result: ScanResult, settings: CheckSettings, baseline: Any = None) -> None:
    """Suppressions from the config, then the baseline: both after the (pure) evaluation."""
    cfg = settings.config
    suppressions = cfg.suppressions if cfg is not None else ()
    if suppressions and not settings.gate.use_suppressions:
        result.warnings.append(
            f"{len(suppressions)} suppression(s) ignored (--no-suppressions): every failure counts"
        )
    elif suppressions:
        from amlguard.suppressions import apply_suppressions, soon_expiring

        today = settings.today or dt.datetime.now(dt.timezone.utc).date()
        applied = apply_suppressions(
            result.findings, suppressions, today, [r.id for r in result.rules]
        )
        result.findings = applied.findings
        result.warnings.extend(applied.warnings)
        result.warnings.extend(soon_expiring(suppressions, today))
    if baseline is not None:
        from amlguard.baseline import apply_baseline

        apply_baseline(result, baseline)


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
        recorded = _record_history(settings, result)
    except HistoryError as exc:  # busy: the scan ran; its reports are written, exit 3
        if exc.exit_code != EXIT_INCOMPLETE:
            raise
        recorded = None
        messages.append(f"{exc} (this scan was not recorded)")
        result.warnings.append(f"{exc}: this scan was not recorded in the history")
    _mark_gate(result, settings.gate, recorded)
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


def _history_scope(settings: CheckSettings, result: ScanResult) -> str | None:
    """The scope a scan is recorded under: the flag/config, else a snapshot's recorded scope,
    else the snapshots' absolute paths (the same file scanned from two folders is one scope)."""
    if settings.history.scope:
        return settings.history.scope
    templates = _template_scope(settings.templates)
    if templates is not None and settings.live:  # templates judged in the live estate
        return f"{templates} in {result.source.kind}:{result.source.description}"
    if not settings.snapshots:
        return templates
    if templates is not None:  # templates judged in the context of a snapshot
        return templates + " in " + ", ".join(os.path.abspath(p) for p in settings.snapshots)
    header = result.source.header if isinstance(result.source.header, dict) else {}
    scope = header.get("scope")
    if isinstance(scope, dict) and header.get("source") == "resource-graph":
        from amlguard.scanner.sources.live import LiveScope

        live = LiveScope(
            tuple(scope.get("subscriptions") or ()),
            tuple(scope.get("management_groups") or ()),
            tuple(scope.get("resource_groups") or ()),
        )
        return f"Azure Resource Graph: {live.describe()}"
    return ", ".join(os.path.abspath(p) for p in settings.snapshots)


def _template_scope(templates: Templates) -> str | None:
    """Templates by absolute path, with their parameter files and deployment target (not the
    parameter values, which may be secret): the same file name in two repositories is two
    scopes."""
    if not templates.paths:
        return None
    parts = [os.path.abspath(p) for p in templates.paths]
    if templates.parameter_files:
        parts.append(
            "parameters " + ", ".join(os.path.abspath(p) for p in templates.parameter_files)
        )
    if templates.parameters:
        parts.append("--parameter " + ", ".join(sorted({n for n, _ in templates.parameters})))
    target = "/".join(x for x in (templates.subscription, templates.resource_group) if x)
    if target:
        parts.append(f"deployed to {target}")
    return "template: " + "; ".join(parts)


def _record_history(settings: CheckSettings, result: ScanResult) -> Any:
    if settings.history.path is None:
        return None
    from amlguard.history.gate import record_scan

    return record_scan(settings.history.path, result, _history_scope(settings, result))


def _history_decides(gate: Gate | Severity | None) -> bool:
    """Whether ``--fail-on-new`` gates on the history's "new since the previous scan".

    A baseline is the reviewed list of accepted failures: when one is given it decides, and a
    failure outside it gates whether or not the previous scan had it (else a pipeline's retry
    would pass on what nobody accepted).
    """
    return not (isinstance(gate, Gate) and gate.baseline is not None)


def _mark_gate(result: ScanResult, gate: Gate, recorded: Any) -> None:
    """With ``--fail-on-new`` the verdict describes that gate: new versus known failures."""
    if not (gate.fail_on_new and recorded is not None and _history_decides(gate)):
        return
    new = recorded.diff.new_at_or_above(gate.fail_on)
    failing = sum(f.status is Status.FAIL for f in result.findings)
    result.gate = {"mode": "new", "new": len(new), "known": max(0, failing - len(new))}


def exit_code(result: ScanResult, gate: Gate | Severity | None, recorded: Any = None) -> int:
    """0 clean; 1 failing findings at or above ``fail_on`` (with ``--fail-on-new``: new ones);
    3 when anything could not be judged, which wins: its verdict cannot be trusted either way."""
    if isinstance(gate, Gate):
        fail_on, on_new = gate.fail_on, gate.fail_on_new
    else:
        fail_on, on_new = gate, False
    if not result.source.complete:
        return EXIT_INCOMPLETE
    statuses = {f.status for f in result.findings}
    if Status.ERROR in statuses:
        return EXIT_INCOMPLETE
    if on_new and recorded is not None and _history_decides(gate):
        return EXIT_FINDINGS if recorded.diff.new_at_or_above(fail_on) else EXIT_OK
    if (
        fail_on is not None
        and Status.FAIL in statuses
        and any(f.status is Status.FAIL and f.severity >= fail_on for f in result.findings)
    ):
        return EXIT_FINDINGS
    return EXIT_OK


# ------------------------------------------------------------------------------ reports


def render(result: ScanResult, fmt: str, options: ReportOptions) -> str:
    """One report as text."""
    return registry.get(fmt).render(result, options)


def write_outputs(
    result: ScanResult, outputs: list[OutputTarget], options: ReportOptions
) -> tuple[str, list[Path]]:
    """Render every requested report: files are written whole or not at all; stdout returned."""
    stdout_parts: list[str] = []
    written: list[Path] = []
    for target in outputs:
        if target.path is None:
            stdout_parts.append(render(result, target.format, options))
            continue
        text = render(result, target.format, replace(options, color=False))  # no colours in files
        write_atomically(target.path, text, f"{target.format} report")
        written.append(target.path)
    return "".join(stdout_parts), written


def write_atomically(path: Path, text: str, what: str) -> None:
    """Write a report through the one output writer (whole or nothing; never over a device)."""
    from amlguard.outputfile import write_output

    write_output(path, text, what)


def artifacts(settings: CheckSettings) -> list[str]:
    """Files SARIF results may point at: ``--sarif-artifact``, else the snapshots, else config."""
    if settings.outputs.sarif_artifact is not None:
        return [str(settings.outputs.sarif_artifact)]
    if settings.snapshots:
        return [str(p) for p in settings.snapshots]
    if settings.config is not None and settings.config.path:
        return [settings.config.path]
    return []


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
    collected = source.collect(needs_of(rules, options.parameters))
    header = dict(collected.info.header)
    header.setdefault("gaps", [{"reason": g.reason, "scope": g.scope} for g in collected.info.gaps])
    header["cloud"] = cloud
    header["rule_pack"] = {"version": pack.version, "hash": pack.digest}
    write_snapshot(path, collected.rows, header)
    code = EXIT_OK if collected.info.complete else EXIT_INCOMPLETE
    return SnapshotOutcome(path, len(collected.rows), collected.info, code)


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


def config_for(path: Path | None) -> Config:
    """The config file given or found in the working directory (defaults when there is none)."""
    from amlguard import config

    found = config.find_config(path)
    return config.load_config(found) if found else config.Config()
