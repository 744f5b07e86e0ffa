"""Rule text in reports: every format links a rule to its page and never shows a template.

A rule's message, remediation and manual command are templates (``{name}``,
``{parameters[x]:lower}``, ``{zones[blob][0]:tail}``). Whatever a report prints, in any
format, is either filled in per finding or shown as ``<name>``: never an unrendered field. This
is checked on every example estate and on the failing example of every rule (so each rule's
failure text is rendered at least once), in console, JSON, JUnit, SARIF, Markdown and HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from amlguard import app
from amlguard.reports.html import HtmlReport, report_data
from amlguard.reports.interface import ReportOptions
from amlguard.reports.ruledocs import doc_url
from amlguard.reports.ruleexamples import example_options, example_rows
from amlguard.scanner.model import ScanResult, Severity, Status
from amlguard.scanner.rules import Rule, load_pack
from amlguard.scanner.scan import ScanOptions, run_scan
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.settings import CheckSettings
from tests.conftest import EXAMPLES
from tests.reports.chromium import attr, dump_dom, needs_chromium
from tests.reports.test_ruledocs import UNRENDERED, raw_html

FORMATS = ("console", "json", "junit", "sarif", "markdown", "html")
PACK = load_pack([])
BASE: list[dict[str, Any]] = json.loads((EXAMPLES / "compliant.json").read_text("utf-8"))["data"]
# The page's own scripts and styles are code, not report text (the data block stays).
_CODE = re.compile(r"<script>.*?</script>|<style>.*?</style>", re.S)


def _text(fmt: str, result: ScanResult) -> str:
    options = ReportOptions(fail_on=Severity.LOW, verbose=True)
    text = app.render(result, fmt, options)
    return _CODE.sub("", text) if fmt == "html" else text


def _unrendered(text: str) -> list[str]:
    return sorted(set(UNRENDERED.findall(text)))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("estate", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_no_report_on_an_example_estate_shows_a_template(estate: str, fmt: str) -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(EXAMPLES / estate,))).result
    assert not _unrendered(_text(fmt, result)), f"{estate} as {fmt}"


def _failing_result(rule: Rule, tmp_path: Path) -> ScanResult:
    rows = example_rows(rule, "failing", BASE)
    assert rows is not None, f"{rule.id} has no failing example"
    path = tmp_path / "estate.json"
    path.write_text(json.dumps({"data": rows}), encoding="utf-8")
    return run_scan(SnapshotSource([path]), PACK, [rule], ScanOptions(**example_options(rule)))


@pytest.mark.parametrize("rule", PACK.rules, ids=lambda r: r.id)
def test_no_report_of_a_rules_failure_shows_a_template(rule: Rule, tmp_path: Path) -> None:
    result = _failing_result(rule, tmp_path)
    assert any(f.status is Status.FAIL for f in result.findings)
    for fmt in FORMATS:
        assert not _unrendered(_text(fmt, result)), f"{rule.id} as {fmt}"


def test_sarif_links_every_rule_to_its_page() -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(EXAMPLES / "drifted.json",))).result
    doc = json.loads(app.render(result, "sarif", ReportOptions()))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {r.id for r in result.rules}
    for descriptor in rules:
        assert descriptor["helpUri"].endswith(f"/docs/rules/{descriptor['id']}.md")
        assert not _unrendered(json.dumps(descriptor["help"]))
        assert not raw_html(descriptor["help"]["markdown"]), descriptor["id"]


def test_markdown_and_html_link_the_failing_rules_to_their_pages() -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(EXAMPLES / "drifted.json",))).result
    failing = {f.rule_id for f in result.findings if f.status is Status.FAIL}
    assert failing
    markdown = app.render(result, "markdown", ReportOptions())
    rules = {r.id: r for r in result.rules}
    for rid in failing:
        assert f"[`{rid}`]({doc_url(rules[rid])})" in markdown
    rows = report_data(result, ReportOptions())["rules"]
    assert {r[0]: r[4] for r in rows if r[0] in failing} == {
        rid: doc_url(rules[rid]) for rid in failing
    }


def test_html_links_only_https_pages(tmp_path: Path) -> None:
    source = (EXAMPLES.parent / "policies" / "acme-rules.yaml").read_text(encoding="utf-8")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(source.replace("url: https://", "url: javascript://"), "utf-8")
    pack = load_pack([rules_file])
    custom = [r for r in pack.rules if r.id.startswith("ACME")]
    assert custom and all(doc_url(r) is None for r in custom)


@needs_chromium
def test_the_html_findings_link_each_rule_id_to_its_page(tmp_path: Path) -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(EXAMPLES / "drifted.json",))).result
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, ReportOptions()), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    links = re.findall(r'<a class="rule-doc" href="([^"]+)"[^>]*>([A-Z0-9-]+)</a>', dom)
    shown = {f.rule_id for f in result.findings}
    assert {text for _href, text in links} == shown
    for href, text in links:
        assert href.startswith("https://") and href.endswith(f"/docs/rules/{text}.md")
    # The heat map's rule headers link there too.
    heads = re.findall(
        r'<th class="rule"[^>]*><a class="rule-doc" href="[^"]+/([A-Z0-9-]+)\.md"', dom
    )
    failing = {f.rule_id for f in result.findings if f.status is Status.FAIL}
    assert set(heads) == failing


@pytest.mark.parametrize("estate", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_markdown_reports_show_placeholders_literally(estate: str) -> None:
    result = app.prepare_scan(CheckSettings(snapshots=(EXAMPLES / estate,))).result
    text = app.render(result, "markdown", ReportOptions(verbose=True))
    ours = {"<details>", "</details>", "<summary>", "</summary>"}
    assert [t for t in raw_html(text) if t not in ours] == []
