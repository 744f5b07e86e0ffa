"""What a judged scan means: empty scopes, idle rules, suppressions and baselines, the gate
of ``--fail-on-new``, and the exit code, computed once for every scanning command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from amlguard.scanner.model import Gap, ScanResult, Severity, Status
from amlguard.settings import CheckSettings, Gate


def scope_warnings(settings: CheckSettings, result: ScanResult) -> None:
    """A readable scope with no workspace is said in every report; with ``--fail-on-empty`` it
    is a gap (exit 3): a gate that judged nothing has not passed."""
    if result.instances:
        _idle_rules(result)
        _isolation_tags(settings, result)
        return
    text = f"no Azure Machine Learning workspace was found in {result.source.description}"
    if settings.gate.fail_on_empty:
        result.source.gaps.append(Gap(f"{text} (--fail-on-empty)"))
    else:
        result.warnings.append(f"{text}: nothing was judged")


def _isolation_tags(settings: CheckSettings, result: ScanResult) -> None:
    """A workspace that chooses its own network isolation by tag is said in every report: the
    tag is the audited team's, so the reader sees who relaxed what. A config value wins."""
    from amlguard.excerpt import quoted
    from amlguard.scanner.ids import short_name
    from amlguard.scanner.instances import ISOLATION_TAG, isolation_tag

    fixed = settings.config.network_isolation if settings.config is not None else None
    for instance in result.instances:
        tagged = isolation_tag(instance.workspace)
        if tagged is None:
            continue
        name = quoted(short_name(instance.id))
        if fixed is not None:
            if tagged != fixed:
                result.warnings.append(
                    f"workspace {name} asks for network isolation {tagged!r} by its tag "
                    f"{ISOLATION_TAG}; the config's network_isolation {fixed!r} is judged instead"
                )
        elif tagged != "managed":
            result.warnings.append(
                f"workspace {name} is judged with network isolation {tagged!r}, chosen by its "
                f"own tag {ISOLATION_TAG} (set network_isolation in the config to decide it)"
            )


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
            result.findings,
            suppressions,
            today,
            [r.id for r in result.rules],
            inventory=result.inventory,
        )
        result.findings = applied.findings
        result.warnings.extend(applied.warnings)
        result.warnings.extend(soon_expiring(suppressions, today))
    if baseline is not None:
        from amlguard.baseline import apply_baseline

        apply_baseline(result, baseline)


def _history_decides(gate: Gate | Severity | None) -> bool:
    """Whether ``--fail-on-new`` gates on the history's "new since the previous scan".

    A baseline is the reviewed list of accepted failures: when one is given it decides, and a
    failure outside it gates whether or not the previous scan had it (else a pipeline's retry
    would pass on what nobody accepted).
    """
    return not (isinstance(gate, Gate) and gate.baseline is not None)


def mark_gate(result: ScanResult, gate: Gate, recorded: Any) -> None:
    """With ``--fail-on-new`` the verdict describes that gate: new versus known failures."""
    if not (gate.fail_on_new and recorded is not None and _history_decides(gate)):
        return
    new = recorded.diff.new_at_or_above(gate.fail_on)
    failing = sum(f.status is Status.FAIL for f in result.findings)
    result.gate = {"mode": "new", "new": len(new), "known": max(0, failing - len(new))}
    before, label = recorded.diff.before, gate.fail_on.label if gate.fail_on else ""
    result.gate["reference"] = (before.id, recorded.reference_why(label)) if before else None
    result.gate["earlier"] = recorded.previous is not None  # scans the gate did not accept


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
