"""What the commands do, without click: the CLI parses, calls these, prints and exits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, InputError
from amlguard.reports import registry
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult, Severity, Status
from amlguard.scanner.rules import RulePack, load_pack
from amlguard.scanner.scan import ScanOptions, run_scan, select_rules
from amlguard.scanner.sources.interface import Source

if TYPE_CHECKING:
    from amlguard.config import Config


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """One requested report: a format and a path (``None`` is standard output)."""

    format: str
    path: Path | None


def parse_output(spec: str, flag: str = "--output") -> OutputTarget:
    """``FMT:PATH`` (or ``FMT`` for stdout); an unknown format is a usage error."""
    fmt, sep, path = spec.partition(":")
    fmt = fmt.strip().lower()
    if fmt not in registry.formats():
        known = ", ".join(registry.formats())
        raise InputError(f"{flag} {spec!r}: unknown format {fmt!r} (one of: {known})")
    if sep and not path.strip():
        raise InputError(f"{flag} {spec!r}: a path is needed after ':'")
    return OutputTarget(fmt, Path(path) if sep else None)


def parse_fail_on(text: str) -> Severity | None:
    """``--fail-on``: a severity, or ``none`` to only report."""
    if text.strip().lower() == "none":
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise InputError(f"--fail-on: {exc} or none") from None


def exit_code(result: ScanResult, fail_on: Severity | None) -> int:
    """0 clean; 1 failing findings at or above ``fail_on``; 3 anything could not be judged.

    An incomplete scan wins over failures: its verdict cannot be trusted either way.
    """
    if not result.source.complete:
        return EXIT_INCOMPLETE
    # One pass over the findings (31,000 at 1,000 instances): statuses first, severities of
    # failures only when they matter.
    statuses = {f.status for f in result.findings}
    if Status.ERROR in statuses:
        return EXIT_INCOMPLETE
    if (
        fail_on is not None
        and Status.FAIL in statuses
        and any(f.status is Status.FAIL and f.severity >= fail_on for f in result.findings)
    ):
        return EXIT_FINDINGS
    return EXIT_OK


@dataclass(slots=True)
class CheckRequest:
    """Everything ``amlguard check`` was asked to do."""

    source: Source
    policies: list[Path] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    min_severity: Severity | None = None
    fail_on: Severity | None = Severity.LOW
    outputs: list[OutputTarget] = field(default_factory=list)
    verbose: bool = False
    color: bool = False
    scan_options: ScanOptions = field(default_factory=ScanOptions)
    config: Config | None = None
    use_suppressions: bool = True
    baseline: Path | None = None
    sarif_artifact: Path | None = None
    today: dt.date | None = None
    history: Path | None = None
    history_scope: str | None = None
    fail_on_new: bool = False


@dataclass(slots=True)
class CheckOutcome:
    """The scan result, what goes to stdout, and the exit code."""

    result: ScanResult
    stdout: str
    exit_code: int
    written: list[Path]
    history: Any = None  # amlguard.history.gate.Recorded when --history was given


def render(result: ScanResult, fmt: str, options: ReportOptions) -> str:
    """One report as text."""
    return registry.get(fmt).render(result, options)


def write_outputs(
    result: ScanResult, outputs: list[OutputTarget], options: ReportOptions
) -> tuple[str, list[Path]]:
    """Render every requested report: files are written, stdout ones are returned."""
    stdout_parts: list[str] = []
    written: list[Path] = []
    for target in outputs:
        if target.path is None:
            stdout_parts.append(render(result, target.format, options))
            continue
        # Files never get terminal colours.
        text = render(result, target.format, _no_color(options))
        try:
            target.path.parent.mkdir(parents=True, exist_ok=True)
            target.path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"{target.path}: cannot write {target.format} report: {exc.strerror}"
            ) from None
        written.append(target.path)
    return "".join(stdout_parts), written


def _no_color(options: ReportOptions) -> ReportOptions:
    return ReportOptions(
        verbose=options.verbose,
        color=False,
        fail_on=options.fail_on,
        width=options.width,
        extra=options.extra,
    )


def scan_and_gate(request: CheckRequest, pack: RulePack | None = None) -> ScanResult:
    """Load rules (config selection unless ``--rule``), scan, then apply suppressions/baseline."""
    pack = pack or load_pack(request.policies)
    rule_ids = list(request.rule_ids)
    if request.config is not None:
        from amlguard.config import check_against_pack, selected_rule_ids

        check_against_pack(request.config, pack)
        rule_ids = rule_ids or selected_rule_ids(request.config, pack)
    baseline = None
    if request.baseline is not None:
        from amlguard.baseline import load as load_baseline

        baseline = load_baseline(request.baseline)  # a bad file fails before the scan runs
    rules = select_rules(pack, rule_ids, request.min_severity)
    result = run_scan(request.source, pack, rules, request.scan_options)
    apply_gates(result, request, baseline)
    return result


def run_check(request: CheckRequest, pack: RulePack | None = None) -> CheckOutcome:
    """Load rules, scan, report; the exit code follows ``exit_code``."""
    if request.fail_on_new and request.history is None:
        raise InputError(
            "--fail-on-new (or history.fail_on_new in the config file) needs a history: "
            "--history PATH, AMLGUARD_HISTORY or history.path"
        )
    if request.history is not None:
        from amlguard.history.gate import open_history

        open_history(request.history)  # a bad history file fails before a long scan, not after
    result = scan_and_gate(request, pack)
    recorded = _record_history(request, result)
    options = ReportOptions(
        verbose=request.verbose,
        color=request.color,
        fail_on=request.fail_on,
        extra={"artifacts": artifacts(request), **(recorded.report_extra() if recorded else {})},
    )
    outputs = request.outputs or [OutputTarget("console", None)]
    stdout, written = write_outputs(result, outputs, options)
    code = exit_code(result, request.fail_on)
    if recorded is not None and request.fail_on_new:
        from amlguard.history.gate import gate_on_new

        code = gate_on_new(code, recorded, request.fail_on)
    return CheckOutcome(result, stdout, code, written, recorded)


def _record_history(request: CheckRequest, result: ScanResult) -> Any:
    """Store the scan when ``--history`` was given (before reports, so they show its trend)."""
    if request.history is None:
        return None
    from amlguard.history.gate import record_scan

    return record_scan(request.history, result, request.history_scope)


def create_baseline(
    request: CheckRequest, path: Path, pack: RulePack | None = None
) -> tuple[ScanResult, int, int]:
    """Scan and write today's failing findings to ``path``: (result, count, exit code).

    An incomplete scan still writes the file (its unjudged findings will show up as new later,
    which fails closed) but exits 3 so the pipeline notices.
    """
    from amlguard.baseline import write

    result = scan_and_gate(request, pack)
    count = write(path, result)
    incomplete = not result.source.complete or any(
        f.status is Status.ERROR for f in result.findings
    )
    return result, count, EXIT_INCOMPLETE if incomplete else EXIT_OK


def apply_gates(result: ScanResult, request: CheckRequest, baseline: Any = None) -> None:
    """Suppressions from the config, then the baseline: both after the (pure) scan."""
    suppressions = request.config.suppressions if request.config is not None else ()
    if suppressions and not request.use_suppressions:
        result.warnings.append(
            f"{len(suppressions)} suppression(s) ignored (--no-suppressions): every failure counts"
        )
    elif suppressions:
        from amlguard.suppressions import apply_suppressions, soon_expiring

        today = request.today or dt.datetime.now(dt.timezone.utc).date()
        applied = apply_suppressions(
            result.findings, suppressions, today, [r.id for r in result.rules]
        )
        result.findings = applied.findings
        result.warnings.extend(applied.warnings)
        result.warnings.extend(soon_expiring(suppressions, today))
    if baseline is not None:
        from amlguard.baseline import apply_baseline

        apply_baseline(result, baseline)


def artifacts(request: CheckRequest) -> list[str]:
    """Files SARIF results may point at: ``--sarif-artifact``, else the snapshots, else config."""
    if request.sarif_artifact is not None:
        return [str(request.sarif_artifact)]
    snapshots = getattr(request.source, "paths", None)
    if snapshots:
        return [str(p) for p in snapshots]
    if request.config is not None and request.config.path:
        return [request.config.path]
    return []


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


# ---------------------------------------------------------------- live scans and snapshots


@dataclass(frozen=True, slots=True)
class LiveRequest:
    """How to reach Azure and what to read: the live flags of ``check`` and ``snapshot``."""

    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    tenant: str | None = None
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    resource_groups: tuple[str, ...] = ()
    batch_size: int = 1000


def live_source(
    live: LiveRequest,
    reporter: Any = None,
    credential: Any = None,
    scan_options: ScanOptions | None = None,
) -> Source:
    """The Resource Graph source for these flags (every SDK client comes from one factory).

    ``scan_options`` carries the configured integration selector: the source reads the zone
    groups of exactly the endpoints the instances will own.
    """
    from amlguard.azure.clients import AzureSettings, ClientFactory
    from amlguard.scanner.instances import InstanceSettings, IntegrationSelector
    from amlguard.scanner.sources.live import LiveOptions, LiveScope
    from amlguard.scanner.sources.resourcegraph import ResourceGraphSource

    if live.subscriptions and live.management_groups:
        raise InputError("--subscription and --management-group cannot be combined")
    if live.batch_size < 1 or live.batch_size > 1000:
        raise InputError("--batch-size must be between 1 and 1000 (Resource Graph's limit)")
    settings = AzureSettings(live.cloud, live.arm_endpoint, live.ca_bundle, live.tenant)
    factory = ClientFactory(settings, credential)
    scope = LiveScope(live.subscriptions, live.management_groups, live.resource_groups)
    selector = scan_options.integration_selector if scan_options else None
    assembly = InstanceSettings(IntegrationSelector.from_mapping(selector))
    return ResourceGraphSource(
        factory,
        scope,
        LiveOptions(batch_size=live.batch_size),
        instance_settings=assembly,
        reporter=reporter,
    )


def remediation_settings(live: LiveRequest) -> Any:
    """Remediation's client settings for these flags: endpoint, CA bundle, cloud, credential.

    The credential comes from the one factory (``AMLGUARD_ACCESS_TOKEN``, else
    DefaultAzureCredential with the tenant), as for a live scan.
    """
    from amlguard.azure.clients import AzureSettings, make_credential, resolve_cloud, validate
    from amlguard.remediate.clients import ClientSettings

    azure = validate(
        AzureSettings(
            cloud=resolve_cloud(live.cloud).name,
            arm_endpoint=live.arm_endpoint,
            ca_bundle=live.ca_bundle,
            tenant=live.tenant,
        )
    )
    return ClientSettings(
        credential=make_credential(azure),
        arm_endpoint=azure.endpoint,
        ca_bundle=azure.ca_bundle,
        cloud=azure.cloud,
    )


@dataclass(slots=True)
class SnapshotOutcome:
    """What ``amlguard snapshot`` wrote, and its exit code (3 when the read was incomplete)."""

    path: Path
    rows: int
    info: Any
    exit_code: int


def run_snapshot(source: Source, path: Path, policies: list[Path] | None = None) -> SnapshotOutcome:
    """Collect what the rules need and write it where ``check --snapshot`` can read it back."""
    from amlguard.scanner.scan import needs_of
    from amlguard.scanner.sources.snapshot import write_snapshot

    pack = load_pack(policies or [])
    collected = source.collect(needs_of(pack.rules))
    header = dict(collected.info.header)
    header.setdefault("gaps", [{"reason": g.reason, "scope": g.scope} for g in collected.info.gaps])
    header["rule_pack"] = {"version": pack.version, "hash": pack.digest}
    write_snapshot(path, collected.rows, header)
    code = EXIT_OK if collected.info.complete else EXIT_INCOMPLETE
    return SnapshotOutcome(path, len(collected.rows), collected.info, code)
