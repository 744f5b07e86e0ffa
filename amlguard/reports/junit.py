"""The JUnit XML report: one testsuite per rule, one testcase per finding.

It validates against both common schemas (``../shared/schemas/NOTES.md``): the Surefire/Jenkins
``junit-10.xsd`` and the strict Ant ``JUnit.xsd``. The strict one decides the shape: a bare
``<testsuites>`` (it allows no attributes there), every suite with ``package``, ``id``, a
timestamp without zone, ``hostname``, ``<properties>`` first and ``<system-out>`` /
``<system-err>`` last, every testcase with ``classname`` and ``time`` and at most one child.
The junit-xml package builds suites and cases; we only fix up what that schema needs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from junit_xml import TestCase, TestSuite

from amlguard import __version__
from amlguard.reports.interface import Report, ReportOptions, register
from amlguard.reports.text import (
    baseline_summary,
    failure_text,
    gap_text,
    short_name,
    suppression_text,
    verdict,
)
from amlguard.scanner.model import Finding, ScanResult, Status
from amlguard.textsafe import LINE_LIMIT, bounded, escape_char, visible, visible_lines

SCAN_SUITE = "amlguard scan"


# Besides the controls textsafe escapes, XML 1.0 cannot carry these two at all.
_NONCHARACTERS = re.compile("[\ufffe\uffff]")


def _clean(text: Any) -> str:
    """One line of data: every control, bidi override and line separator as a visible escape
    (a CI test tab shows names and messages as they are; XML itself cannot carry some)."""
    text = str(visible("" if text is None else str(text)))
    return bounded(_NONCHARACTERS.sub(escape_char, text), LINE_LIMIT)


def _clean_lines(text: Any) -> str:
    """Text that may span lines (failure details, scan output): line feeds kept, every other
    unsafe character escaped."""
    return _NONCHARACTERS.sub(escape_char, str(visible_lines("" if text is None else str(text))))


def _timestamp(scan_time: str) -> str:
    """``YYYY-MM-DDTHH:MM:SS``: the strict schema refuses a zone or a fraction."""
    return scan_time.replace("Z", "").split("+")[0].split(".")[0]


def _case(finding: Finding, classname: str) -> TestCase:
    name = f"[{finding.severity.name}] {finding.rule_id} {short_name(finding.resource_id)}"
    case = TestCase(_clean(name), classname=_clean(classname))
    if finding.status is Status.FAIL:
        case.add_failure_info(
            message=_clean(finding.message),
            output=_clean_lines(failure_text(finding)),
            failure_type=finding.severity.label,
        )
    elif finding.status is Status.ERROR:
        case.add_error_info(
            message=_clean(finding.message),
            output=_clean(f"resource: {finding.resource_id}"),
            error_type="error",
        )
    elif finding.status in (Status.SUPPRESSED, Status.KNOWN):
        text = suppression_text(finding.suppression, cite_source=True, reason_required=True)
        case.add_skipped_info(message=_clean(f"{finding.status.value}: {text}"))
    elif finding.status is Status.SKIPPED:
        case.add_skipped_info(message=_clean(f"not applicable: {finding.message}"))
    return case


def _finish(element: ET.Element, index: int, package: str, timestamp: str, host: str) -> None:
    """Give one junit-xml suite the attributes and element order the strict schema needs."""
    element.attrib.pop("disabled", None)  # neither schema knows it
    element.set("id", str(index))
    element.set("package", package)
    element.set("timestamp", timestamp)
    element.set("hostname", host)
    element.set("time", "0")
    properties = element.find("properties")
    if properties is None:
        properties = ET.Element("properties")
    children = [c for c in element if c.tag == "testcase"]
    outs = {tag: element.find(tag) for tag in ("system-out", "system-err")}
    for child in list(element):
        element.remove(child)
    element.append(properties)
    for case in children:
        case.set("time", "0")
        for skipped in case.iter("skipped"):
            skipped.attrib.pop("type", None)  # the strict schema allows only 'message'
        element.append(case)
    for tag, found in outs.items():
        element.append(found if found is not None else ET.Element(tag))


def _scan_suite(result: ScanResult, options: ReportOptions) -> TestSuite:
    """A suite without testcases that carries what concerns the whole scan."""
    props = {
        "amlguard.version": __version__,
        "source": result.source.description,
        "source.kind": result.source.kind,
        "rule_pack.version": result.pack_version,
        "verdict": verdict(result, options.fail_on),
    }
    out = [f"warning: {w}" for w in result.warnings]
    if result.baseline is not None:
        b = result.baseline
        props["baseline"] = str(b["file"])
        out.append(baseline_summary(b))
        out.extend(f"resolved: {e['rule_id']} {e['resource_id']}" for e in b["resolved"])
    err = [f"scan gap: {gap_text(g)}" for g in result.source.gaps]
    return TestSuite(
        SCAN_SUITE,
        properties={k: _clean(v) for k, v in props.items()},
        stdout=_clean_lines("\n".join(out)) or None,
        stderr=_clean_lines("\n".join(err)) or None,
    )


@register
class JunitReport(Report):
    """For CI test tabs (Azure DevOps PublishTestResults, GitLab, Jenkins)."""

    name = "junit"
    suffix = ".xml"

    def render(self, result: ScanResult, options: ReportOptions) -> str:
        names = _instance_names(result)
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in result.findings:
            by_rule[f.rule_id].append(f)
        rule_ids = [r.id for r in result.rules] or sorted(by_rule)
        rule_ids += sorted(set(by_rule) - set(rule_ids))
        titles = {r.id: (r.title, r.severity.label, r.name) for r in result.rules}
        suites = []
        for rule_id in rule_ids:
            title, severity, rule_name = titles.get(rule_id, ("", "", ""))
            findings = sorted(
                by_rule.get(rule_id, []),
                key=lambda f: (names.get(f.instance, f.instance).lower(), f.resource_id.lower()),
            )
            props = {"rule.name": rule_name, "rule.severity": severity, "rule.title": title}
            suites.append(
                TestSuite(
                    _clean(f"{rule_id} {rule_name}".strip()),
                    [_case(f, names.get(f.instance, f.instance)) for f in findings],
                    properties={k: _clean(v) for k, v in props.items() if v},
                )
            )
        suites.append(_scan_suite(result, options))
        root = ET.Element("testsuites")
        stamp = _timestamp(result.scan_time)
        host = result.source.kind or "amlguard"
        for i, suite in enumerate(suites):
            element = suite.build_xml_doc()
            _finish(element, i, "amlguard", stamp, host)
            root.append(element)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _instance_names(result: ScanResult) -> dict[str, str]:
    """Instance id -> name, falling back to the id where two instances share a name."""
    counts: dict[str, int] = defaultdict(int)
    for inst in result.instances:
        counts[inst.name.lower()] += 1
    return {
        inst.id: inst.name if counts[inst.name.lower()] == 1 else inst.id
        for inst in result.instances
    }
