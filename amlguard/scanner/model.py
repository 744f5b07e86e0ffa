"""Values that cross module boundaries: severities, statuses, findings and scan results."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amlguard.scanner.instances import Instance


class Severity(enum.IntEnum):
    """Rule severity; the integer order makes thresholds a comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None


class Status(str, enum.Enum):
    """Outcome of one rule on one resource of one instance."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SUPPRESSED = "suppressed"
    SKIPPED = "skipped"
    #: a failure the ``--baseline`` file already records: it does not fail the gate
    KNOWN = "known"


ABSENT_TEXT = "absent"


@dataclass(frozen=True, slots=True)
class Judgement:
    """What every finding record says: which rule judged which resource of which instance, how.

    :class:`Finding` and the history's stored finding add their own fields; both JSON shapes open
    with :meth:`judgement_dict` and close with :func:`review_dict`.
    """

    rule_id: str
    rule_name: str
    severity: Severity
    status: Status
    resource_id: str
    resource_type: str
    instance: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of a finding across scans: rule, resource and instance, lower-cased."""
        return (self.rule_id, self.resource_id.lower(), self.instance.lower())

    def judgement_dict(self) -> dict[str, Any]:
        """These fields as the JSON entries a finding's shape opens with."""
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity.label,
            "status": self.status.value,
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "instance": self.instance,
            "message": self.message,
        }


def review_dict(
    suppression: dict[str, Any] | None, baseline_state: str | None, fixed_by: str | None = None
) -> dict[str, Any]:
    """The entries a finding's JSON shape closes with, each only when set: suppression,
    baseline, and the ``--fix`` action that made it pass."""
    return {
        **({"suppression": suppression} if suppression is not None else {}),
        **({"baseline_state": baseline_state} if baseline_state else {}),
        **({"fixed_by": fixed_by} if fixed_by else {}),
    }


@dataclass(frozen=True, slots=True, init=False)
class Finding(Judgement):
    """One finding per (rule, resource judged, instance); see blueprint.md section 4."""

    expected: Any = None
    actual: Any = None
    path: str | None = None
    remediation: str = ""
    #: the items a failing ``count``/``[*]`` condition named (outbound targets, uncovered
    #: resources, NICs): what remediators act on, typed instead of a free-form dict
    offenders: tuple[Any, ...] = ()
    #: why a finding is ``suppressed``: reason, expires, approved_by, source (or the baseline)
    suppression: dict[str, Any] | None = None
    #: "new" or "known" when the check compared against a baseline file
    baseline_state: str | None = None
    #: the id of the ``--fix`` action whose effect was verified from ARM (the finding now passes)
    fixed_by: str | None = None

    def __init__(
        self,
        rule_id: str,
        rule_name: str,
        severity: Severity,
        status: Status,
        resource_id: str,
        resource_type: str,
        instance: str,
        message: str,
        expected: Any = None,
        actual: Any = None,
        path: str | None = None,
        remediation: str = "",
        offenders: tuple[Any, ...] = (),
        suppression: dict[str, Any] | None = None,
        baseline_state: str | None = None,
        fixed_by: str | None = None,
    ) -> None:
        # The __init__ @dataclass writes for a frozen class, twice as fast: that one stores
        # each field through object.__setattr__ (~170 ns each, ~3 us for a finding's 16 fields,
        # 4 % of a check's evaluation); the slots' own descriptors store the same values
        # directly (_FIELD_SETTERS, below the class). Same signature, same frozen object;
        # tests/scanner/test_finding_init.py checks both against the generated one.
        _set_rule_id(self, rule_id)
        _set_rule_name(self, rule_name)
        _set_severity(self, severity)
        _set_status(self, status)
        _set_resource_id(self, resource_id)
        _set_resource_type(self, resource_type)
        _set_instance(self, instance)
        _set_message(self, message)
        _set_expected(self, expected)
        _set_actual(self, actual)
        _set_path(self, path)
        _set_remediation(self, remediation)
        _set_offenders(self, offenders)
        _set_suppression(self, suppression)
        _set_baseline_state(self, baseline_state)
        _set_fixed_by(self, fixed_by)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (``findings.schema.json``)."""
        return {
            **self.judgement_dict(),
            "expected": self.expected,
            "actual": self.actual,
            "path": self.path,
            "remediation": self.remediation,
            **review_dict(self.suppression, self.baseline_state, self.fixed_by),
        }


#: each field's slot descriptor ``__set__``, in field order (what ``Finding.__init__`` calls)
_FIELD_SETTERS = tuple(getattr(Finding, f.name).__set__ for f in fields(Finding))
(
    _set_rule_id,
    _set_rule_name,
    _set_severity,
    _set_status,
    _set_resource_id,
    _set_resource_type,
    _set_instance,
    _set_message,
    _set_expected,
    _set_actual,
    _set_path,
    _set_remediation,
    _set_offenders,
    _set_suppression,
    _set_baseline_state,
    _set_fixed_by,
) = _FIELD_SETTERS


_NEW = object.__new__
_DEFAULTS = (None, None, None, "", (), None, None, None)  # expected ... fixed_by


def passing_findings(
    rule_id: str,
    rule_name: str,
    severity: Severity,
    resource_ids: list[str],
    resource_types: list[str],
    instances: list[str],
    messages: list[str],
) -> list[Finding]:
    """``[Finding(rule_id, rule_name, severity, Status.PASS, r, t, i, m) for r, t, i, m in
    zip(resource_ids, resource_types, instances, messages)]``, built column by column: each
    slot set for every finding by one C loop (``map`` over its descriptor), no Python call per
    finding. A rule passes on ~95 % of what it judges: this is most of a scan's findings."""
    count = len(resource_ids)
    if not (len(resource_types) == len(instances) == len(messages) == count):
        raise ValueError("passing_findings: the columns differ in length")
    made = list(map(_NEW, repeat(Finding, count)))
    columns: tuple[Iterable[Any], ...] = (
        repeat(rule_id),
        repeat(rule_name),
        repeat(severity),
        repeat(Status.PASS),
        resource_ids,
        resource_types,
        instances,
        messages,
        *(repeat(value) for value in _DEFAULTS),
    )
    for setter, column in zip(_FIELD_SETTERS, columns, strict=True):
        deque(map(setter, made, column), 0)
    return made


@dataclass(frozen=True, slots=True)
class Gap:
    """Something a scan could not read; every finding it touches is ``error``.

    ``scope`` is a subscription id ('' = the whole scan); ``resources`` (lower-cased ids), when
    given, narrows it to the findings whose target or instance is one of them."""

    reason: str
    scope: str = ""
    resources: frozenset[str] = frozenset()


@dataclass(slots=True)
class SourceInfo:
    """Where the inventory came from, and how complete and costly that was."""

    kind: str
    description: str
    gaps: list[Gap] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.gaps


@dataclass(slots=True)
class ScanResult:
    """Everything reports need: the findings plus the context they were produced in."""

    findings: list[Finding]
    source: SourceInfo
    pack_version: str
    pack_hash: str
    scan_time: str
    instances: list[Instance]
    rules: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: set by ``check --baseline``: file, created, counts, and the ``resolved`` entries
    baseline: dict[str, Any] | None = None
    #: set by ``--fail-on-new``: ``{"mode": "new", "new": N, "known": M}`` (the verdict says so)
    gate: dict[str, Any] | None = None
    #: the inventory the findings were judged on (the HTML diagram draws what passes from it)
    inventory: Any = field(default=None, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for f in self.findings:
            out[f.status.value] += 1
        return out
