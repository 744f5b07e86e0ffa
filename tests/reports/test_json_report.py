"""The JSON report's fast finding encoder writes exactly what the generic ``json.dumps`` does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.reports import json_report
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import Finding, Gap, ScanResult, Severity, SourceInfo, Status
from tests.builders import blueprint, unrelated
from tests.make_examples import drifted, multi_workspace
from tests.scanner.harness import instances, scan

#: DEL, C1, zero-width and bidi controls, U+2028/2029 and BOM: never raw in a report line
HIDDEN = "\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"


def _hidden_escaped(line: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if re.match(f"[{HIDDEN}]", c) else c for c in line)


def reference(result: ScanResult) -> str:
    """The straightforward rendering: the generic document, one json.dumps a finding a line."""
    doc = json_report.document(result)
    findings = doc.pop("findings")
    head = json.dumps(doc, indent=2, default=str)[:-2]
    if not findings:
        return head + ',\n  "findings": []\n}\n'
    lines = [_hidden_escaped(json.dumps(f, default=str, ensure_ascii=False)) for f in findings]
    return head + ',\n  "findings": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"


def render(result: ScanResult) -> str:
    return json_report.JsonReport().render(result, ReportOptions())


def _result(rows: list[dict[str, Any]], findings: list[Finding] | None = None) -> ScanResult:
    return ScanResult(
        findings=scan(rows) if findings is None else findings,
        source=SourceInfo("snapshot", "estate.json", [Gap("throttled", "sub")], {"rows": 1}),
        pack_version="1",
        pack_hash="sha256:0",
        scan_time="2026-01-01T00:00:00Z",
        instances=instances(rows),
    )


class Opaque:
    """Not a JSON value: the report names it with ``default=str``."""

    def __str__(self) -> str:
        return 'opaque "ü" \\ object'


@dataclasses.dataclass(frozen=True, slots=True)
class TaggedFinding(Finding):
    """A subclass with its own JSON shape: the fast path must not assume Finding's."""

    tag: str = "t"

    def to_dict(self) -> dict[str, Any]:
        return {**Finding.to_dict(self), "tag": self.tag}


BASE = Finding(
    "AMLG-101",
    "workspace-public-network-disabled",
    Severity.HIGH,
    Status.FAIL,
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
    "microsoft.machinelearningservices/workspaces",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
    "Workspace w has public network access Enabled.",
    expected="Disabled",
    actual="Enabled",
    path="properties.publicNetworkAccess",
    remediation="Disable it.",
)

ODD_TEXT = [
    "Grüße, 工作区 ✓ 🚀",
    'quote " backslash \\ slash /',
    "control \x00\x01\x1f\t\n\r\b\f and \x7f \u2028 \u2029",
    "",
]
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**70,
    1.5,
    -0.0,
    1e300,
    float("nan"),
    float("inf"),
    "",
    "plain",
    *ODD_TEXT,
    [],
    {},
    [1, "two", None, [3.0, {"four": [False]}]],
    {"a": {"b": [1, {"c": None}]}, "ü": "ß", "": 0},
    {1: "int key", 2.5: "float key", False: "bool key", None: "null key"},
    (1, 2),
    Opaque(),
    dt.date(2026, 11, 26),
    [Opaque(), {"when": dt.datetime(2026, 1, 1, 12, 0)}],
    Status.FAIL,
    Severity.HIGH,
]


def _hand_made() -> list[Finding]:
    out = [BASE]
    for text in ODD_TEXT:
        out.append(dataclasses.replace(BASE, message=text, remediation=text, path=text))
        out.append(dataclasses.replace(BASE, rule_id=text, rule_name=text, resource_id=text))
        out.append(dataclasses.replace(BASE, resource_type=text, instance=text))
    for value in ODD_VALUES:
        out.append(dataclasses.replace(BASE, expected=value, actual=value))
        out.append(dataclasses.replace(BASE, expected=None, actual=value, path=None))
    for severity in Severity:
        for status in Status:
            out.append(dataclasses.replace(BASE, severity=severity, status=status))
    suppression = {"reason": 'CHG-1 "ü"', "expires": "2026-12-31", "source": "amlguard.yaml"}
    for sup in (None, {}, suppression, {"when": dt.date(2026, 1, 1)}):
        for state in (None, "", "new", "known"):
            out.append(dataclasses.replace(BASE, suppression=sup, baseline_state=state))
    out += [
        # Equal keys that json spells differently: the per-rule cache must not mix them up.
        dataclasses.replace(BASE, rule_id=1),  # type: ignore[arg-type]
        dataclasses.replace(BASE, rule_id=True),  # type: ignore[arg-type]
        dataclasses.replace(BASE, rule_id=1.0),  # type: ignore[arg-type]
        # Non-strings where strings belong, hashable and not: the generic path renders them.
        dataclasses.replace(BASE, message=42),  # type: ignore[arg-type]
        dataclasses.replace(BASE, resource_id=["a", "b"]),  # type: ignore[arg-type]
        dataclasses.replace(BASE, instance=None),  # type: ignore[arg-type]
        dataclasses.replace(BASE, remediation=Opaque()),  # type: ignore[arg-type]
        dataclasses.replace(BASE, message=Status.PASS),  # a str subclass
        dataclasses.replace(BASE, offenders=("not in the report",)),
        TaggedFinding(**{f.name: getattr(BASE, f.name) for f in dataclasses.fields(BASE)}, tag="x"),
    ]
    return out


def test_the_fast_path_is_the_one_that_runs() -> None:
    # False would mean Finding's fields or JSON shape changed: every report would take the
    # slow generic path. Update _append_findings and _FAST_FIELDS to the new shape.
    assert json_report.fast_path_fits()


@pytest.mark.parametrize(
    "rows",
    [
        drifted(),
        multi_workspace(),
        blueprint().rows() + unrelated("00000000-0000-0000-0000-000000000001", "misc", 7),
    ],
    ids=["drifted", "multi-workspace", "blueprint+unrelated"],
)
def test_scanned_estates_render_byte_identical(rows: list[dict[str, Any]]) -> None:
    result = _result(rows)
    assert len(result.findings) > 20
    assert render(result) == reference(result)


def test_hand_made_findings_render_byte_identical() -> None:
    rows = blueprint().rows()
    scanned = scan(rows)
    result = _result(rows, scanned + _hand_made() + scanned)
    text = render(result)
    assert text == reference(result)
    doc = json.loads(text)
    assert len(doc["findings"]) == len(result.findings)
    expected = json_report.finding_dict(BASE, json_report.rule_facts(result), None)
    assert doc["findings"][len(scanned)] == expected
    assert expected["remediation"] == {"summary": "Disable it.", "command": None}
    assert expected["resource_name"] == "w" and expected["fixable"] is False


def test_the_generic_path_renders_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # What every report does if Finding's shape ever outgrows the fast path.
    rows = blueprint().rows()
    result = _result(rows, scan(rows) + _hand_made())
    fast = render(result)
    monkeypatch.setattr(json_report, "fast_path_fits", lambda: False)
    assert render(result) == fast == reference(result)


def test_no_findings() -> None:
    result = _result(blueprint().rows(), [])
    assert render(result) == reference(result)
    assert json.loads(render(result))["findings"] == []


def test_one_finding_has_no_separator() -> None:
    result = _result(blueprint().rows(), [BASE])
    assert render(result) == reference(result)
    assert '"findings": [\n    {"rule_id": "AMLG-101", ' in render(result)


@pytest.mark.parametrize("name", [*ODD_TEXT, "ml-prod"])
def test_instance_entries_render_byte_identical(name: str) -> None:
    rows = multi_workspace()
    result = _result(rows)
    first, second, third = result.instances
    odd = dataclasses.replace(first, id=f"/w/{name}", workspace={**first.workspace, "name": name})
    result.instances = [odd, second, third, dataclasses.replace(second)]
    result.findings.append(dataclasses.replace(BASE, instance=odd.id, message=name))
    assert render(result) == reference(result)
    assert json.loads(render(result))["instances"][0]["name"] == name


@pytest.mark.parametrize("instance_id", [None, 7, "x"])
def test_unusual_instance_ids_take_the_generic_dump(instance_id: Any) -> None:
    result = _result(blueprint().rows())
    result.instances = [dataclasses.replace(result.instances[0], id=instance_id)]
    assert render(result) == reference(result)
    result.instances = []
    assert render(result) == reference(result)
    assert json.loads(render(result))["instances"] == []


def test_summary_and_instance_counts_count_every_finding() -> None:
    rows = multi_workspace()
    findings = scan(rows)
    suppressed = dataclasses.replace(findings[0], status=Status.SUPPRESSED)
    stray = dataclasses.replace(findings[1], instance="/not/an/instance", status=Status.ERROR)
    result = _result(rows, [*findings, suppressed, stray])
    counted = Counter((f.severity.label, f.status.value) for f in result.findings)
    summary = json_report.summary(result)
    assert summary["findings"] == len(result.findings)
    assert summary["instances"] == len(result.instances) == 3
    for sev in Severity:
        for status in Status:
            assert (
                summary["by_severity"][sev.label][status.value] == counted[sev.label, status.value]
            )
    assert summary["by_status"] == {
        s.value: sum(1 for f in result.findings if f.status is s) for s in Status
    }
    entries = json_report.instance_counts(result)
    assert [e["id"] for e in entries] == [i.id for i in result.instances]
    for entry in entries:
        mine = [f for f in result.findings if f.instance == entry["id"]]
        assert entry["counts"] == {s.value: sum(f.status is s for f in mine) for s in Status}
    # The stray instance is counted in the summary but has no entry of its own.
    assert sum(sum(e["counts"].values()) for e in entries) == len(result.findings) - 1


# Any JSON value, some non-JSON ones, and keys json converts (ints, floats, bools, None).
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.builds(Opaque)
    | st.dates()
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=3)
    ),
    max_leaves=12,
)
# Few rule ids and messages, so the caches hit; equal-but-differently-spelled ids included.
_rule_ids = st.sampled_from(["AMLG-101", "AMLG-102", "AMLG-ü", 1, True, 1.0]) | st.text()
_texts = st.sampled_from(["/a/b", "", *ODD_TEXT]) | st.text()


def _finding(kind: type[Finding]) -> st.SearchStrategy[Finding]:
    return st.builds(
        kind,
        rule_id=_rule_ids,
        rule_name=st.sampled_from(["rule-one", "rule-two"]) | st.text(),
        severity=st.sampled_from(list(Severity)),
        status=st.sampled_from(list(Status)),
        resource_id=_texts,
        resource_type=_texts,
        instance=_texts,
        message=_texts | st.integers(),
        expected=_values,
        actual=_values,
        path=st.none() | _texts,
        remediation=_texts,
        suppression=st.none() | st.dictionaries(st.text(max_size=8), _values, max_size=3),
        baseline_state=st.sampled_from([None, "", "new", "known"]),
    )


EMPTY = _result(blueprint().rows(), [])
_findings = st.lists(
    _finding(Finding) | _finding(TaggedFinding) | st.sampled_from(_hand_made()),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(findings=_findings)
def test_any_findings_render_byte_identical(findings: list[Finding]) -> None:
    result = dataclasses.replace(EMPTY, findings=findings)
    assert render(result) == reference(result)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x70, max_codepoint=0x2100), max_size=20))
def test_no_hidden_character_reaches_a_finding_line_raw(value: str) -> None:
    """Values keep every character (json.loads gives them back) but none a terminal hides
    or reorders is written raw (redteam9 #15)."""
    finding = Finding("R-1", value, Severity.HIGH, Status.FAIL, "/r/" + value, "t", "/i", value)
    finding = dataclasses.replace(finding, actual=[value], expected={"k": value})
    text = render(_result([], [finding]))
    assert not re.search(f"[{HIDDEN}]", text)
    line = json.loads(text)["findings"][0]
    assert (line["message"], line["actual"], line["expected"]) == (value, [value], {"k": value})
