"""The HTML report: self-contained, escaped, overview first, diagrams that say what fails, and
rendered for real in headless Chromium (overview, heat map, legend, click-to-filter, paging)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.history.gate import record_scan
from amlguard.reports.html import PAGE, HtmlReport, diagram_of, report_data
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult, Status
from tests.builders import blueprint
from tests.history.scans import scan
from tests.make_examples import compliant, drifted
from tests.reports.chromium import attr, dump_dom, interact, needs_chromium, text_of

EVIL = "<img src=x onerror=\"document.title='pwned'\">&amp;</script><!--"


def _evil_drifted() -> list[dict]:  # type: ignore[type-arg]
    rows = drifted()
    for r in rows:
        if r["type"] == "microsoft.machinelearningservices/workspaces":
            r["name"] = EVIL  # resource names are user data
    return rows


def _with_history(tmp_path: Path) -> tuple[ScanResult, ReportOptions]:
    """Three recorded scans of one scope (compliant, drifted, drifted); the last one's report."""
    db = tmp_path / "h.db"
    result = None
    for when, rows in [
        ("2026-03-01T02:00:00Z", compliant()),
        ("2026-03-02T02:00:00Z", drifted()),
        ("2026-03-03T02:00:00Z", _evil_drifted()),
    ]:
        result = scan(tmp_path, rows, when=when)
        recorded = record_scan(db, result)
    assert result is not None
    return result, ReportOptions(extra=recorded.report_extra())


def _pieces(result: ScanResult, w: int = 0) -> dict[str, str]:
    model = diagram_of(report_data(result, ReportOptions()), w)
    return {box[0]: box[3] for box in model["boxes"]}


def test_page_is_self_contained_and_escapes_user_data(tmp_path: Path) -> None:
    result, options = _with_history(tmp_path)
    page = HtmlReport().render(result, options)
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page  # the browser itself refuses any network access
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"""\s(src|href)=["']?https?:""", page)
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    block = page[page.index('id="report-data">') :]
    block = block[len('id="report-data">') : block.index("</script>")]
    assert "<" not in block  # nothing in the data can close its script element
    assert EVIL in json.loads(block)["s"] or any(EVIL in w[0] for w in json.loads(block)["ws"])


def test_each_piece_of_the_blueprint_takes_its_worst_status(tmp_path: Path) -> None:
    result = scan(tmp_path, drifted())
    assert _pieces(result) == {
        "identity": "fail",  # AMLG-106 (tag identity): the approver role does not cover all
        "workspace": "fail",  # AMLG-101
        "managednetwork": "fail",  # AMLG-103/104 (tag managed-network)
        "storage": "fail",
        "keyvault": "fail",  # AMLG-240: a pending connection
        "registry": "fail",
        "appinsights": "none",  # no rule judges it: shown as not judged, not as passing
        "ai0": "pass",
        "ai1": "fail",
        "endpoints": "fail",  # AMLG-233 on the new AI account (tag private-endpoint)
        "vnet": "fail",  # AMLG-301/302
    }
    clean = _pieces(scan(tmp_path, compliant()))
    assert set(clean.values()) == {"pass", "none"} and clean["appinsights"] == "none"


def test_pieces_say_what_fails_with_the_worst_severity(tmp_path: Path) -> None:
    model = diagram_of(report_data(scan(tmp_path, drifted()), ReportOptions()), 0)
    boxes = {b[0]: b for b in model["boxes"]}
    assert boxes["workspace"][5] == ["public network access: Enabled"]
    assert boxes["workspace"][10][0] == "public access: Enabled"
    assert boxes["workspace"][4] == "high"
    assert any("fails for:" in w for w in boxes["identity"][5])  # the approver role's gaps
    assert boxes["ai1"][10][0] == "outbound: no outbound rule"
    # What fails, in words read off the finding: a count of none, a source's own reason.
    assert "no private endpoint" in boxes["ai1"][5]
    assert any("the zone is not linked to the solution VNet" in w for w in boxes["vnet"][5])
    assert boxes["ai0"][10][0].startswith("outbound: allowOpenAi")
    assert any(w.startswith("privatelink.") for w in boxes["vnet"][5])  # the zone, by name


def test_a_hub_lists_its_projects(tmp_path: Path) -> None:
    hub, project = blueprint(rg="rg-hub", prefix="hub"), blueprint(rg="rg-proj", prefix="proj")
    hub.workspace["kind"] = "Hub"
    project.workspace["kind"] = "Project"
    project.workspace["properties"]["hubResourceId"] = hub.workspace["id"]
    result = scan(tmp_path, hub.rows() + project.rows())
    data = report_data(result, ReportOptions())
    ws = {w[0]: diagram_of(data, n) for n, w in enumerate(data["ws"])}
    hub_box = next(b for b in ws[hub.workspace["name"]]["boxes"] if b[0] == "workspace")
    assert hub_box[1] == "ML workspace (Hub)"
    assert f"projects: {project.workspace['name']}" in hub_box[10]


def test_errors_colour_a_piece_over_failures(tmp_path: Path) -> None:
    inst = blueprint()
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    result = scan(tmp_path, inst.rows(), gaps=[{"reason": "throttled", "scope": inst.sub}])
    assert set(_pieces(result).values()) <= {"error", "none"}
    assert 'class="verdict incomplete"' in HtmlReport().render(result, ReportOptions())


def test_without_history_there_is_no_trend_and_the_cli_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "report" / "amlguard.html"
    scan(tmp_path, drifted())
    out = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(tmp_path / "estate.json"), "--output", f"html:{target}"],
    )
    assert out.exit_code == 1, out.output
    page = target.read_text(encoding="utf-8")
    assert "Over time" not in page and 'class="trend"' not in page
    assert 'id="verdict">FAILED: 12 failing finding(s) at or above low.' in page
    assert page.index('id="overview"') < page.index('id="heatmap"') < page.index('id="findings"')


@needs_chromium
def test_the_report_renders_in_chromium_with_the_expected_counts(tmp_path: Path) -> None:
    result, options = _with_history(tmp_path)
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, options), encoding="utf-8")

    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-ready") == "1"
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    assert text_of(dom, "count-fail") == "12" and text_of(dom, "count-total") == "38"
    assert text_of(dom, "shown-count") == "38" == text_of(dom, "total-count")
    assert 'data-points="3"' in dom and dom.count('class="dot"') == 3
    assert "pwned" not in text_of(dom, "verdict") and "<title>pwned" not in dom
    assert not re.search(r"<img\b", dom)  # the name stayed text
    # New failures carry the NEW marker (history: the third scan adds none over the second).
    assert dom.count(">NEW<") == 0

    # Filters come from the address: high-severity failures only.
    dom = dump_dom(page, tmp_path / "profile", "#status=fail&severity=high")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    high_fails = sum(1 for f in result.findings if f.status.value == "fail" and f.severity >= 3)
    assert high_fails == 7
    assert text_of(dom, "shown-count") == str(high_fails)
    rows = re.findall(r'<tr data-status="([a-z]+)" data-severity="([a-z]+)"', dom)
    assert rows == [("fail", "high")] * high_fails


@needs_chromium
def test_overview_heat_map_legend_and_click_to_filter(tmp_path: Path) -> None:
    result = _many_instances(tmp_path)
    click = (
        "(function(){var g=document.querySelector('#diagram .piece[data-piece=storage]');"
        "g.dispatchEvent(new MouseEvent('click',{bubbles:true}));"
        "document.documentElement.setAttribute('data-after-click',"
        "document.getElementById('shown-count').textContent);})();"
    )
    page = tmp_path / "report.html"
    page.write_text(interact(HtmlReport().render(result, ReportOptions()), click), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    # Overview: worst first; every drifted workspace leads.
    names = re.findall(r'<tr data-w="\d+" data-name="([^"]+)"', dom)
    assert len(names) == 20
    drifted_names = {f"ws{i}-mlw" for i in range(1, 20, 2)}
    assert set(names[:10]) == drifted_names
    # Heat map: one row per drifted workspace, one column per failing rule.
    heat_rows = re.findall(r'<tr data-w="(\d+)"><th class="wsname"', dom)
    assert len(heat_rows) == 10
    assert dom.count('class="cell h-high"') == 10  # AMLG-201 on each drifted storage account
    # Legend: every colour of the diagram is explained.
    assert re.findall(r'data-legend="([a-z]+)"', dom) == [
        "critical",
        "high",
        "medium",
        "low",
        "error",
        "pass",
        "none",
    ]
    # The click on the storage piece filtered the findings to that piece and kept it in the URL.
    assert attr(dom, "data-hash").startswith("#ws=0&piece=storage") or "piece=storage" in attr(
        dom, "data-hash"
    )
    shown = int(attr(dom, "data-after-click"))
    storage = [
        f for f in result.findings if f.resource_id.lower().endswith(f"/{names[0][:-4]}st".lower())
    ]
    assert shown == len(storage) > 0
    assert 'class="piece st-fail sev-high active" data-piece="storage"' in dom

    # The URL state alone restores the same view.
    plain = tmp_path / "plain.html"
    plain.write_text(HtmlReport().render(result, ReportOptions()), encoding="utf-8")
    dom = dump_dom(plain, tmp_path / "profile", "#ws=0&piece=storage&sort=name:asc")
    assert text_of(dom, "shown-count") == str(shown)
    sorted_names = re.findall(r'<tr data-w="\d+" data-name="([^"]+)"', dom)
    assert sorted_names == sorted(sorted_names)


def _many_instances(tmp_path: Path) -> ScanResult:
    rows: list[dict] = []  # type: ignore[type-arg]
    for i in range(20):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i % 2:
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    return scan(tmp_path, rows)


@needs_chromium
def test_a_large_report_pages_its_rows_in_chromium(tmp_path: Path) -> None:
    result = _many_instances(tmp_path)
    assert len(result.findings) > PAGE
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, ReportOptions()), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    total = len(result.findings)
    assert text_of(dom, "shown-count") == str(total)
    rows = re.findall(r'<tr data-status="([a-z]+)"', dom)
    assert len(rows) == PAGE
    assert all(status == "fail" for status in rows[:10])  # failures sort first
    assert f"Show {total - PAGE} more of {total - PAGE} not displayed" in dom


def test_a_suppressed_finding_shows_why_and_known_is_not_suppressed(tmp_path: Path) -> None:
    result = scan(tmp_path, drifted())
    why = {"kind": "suppression", "reason": "<vendor> VPN", "approved_by": "ciso@example.com"}
    result.findings[0] = dataclasses.replace(
        result.findings[0], status=Status.SUPPRESSED, suppression=why
    )
    known = {"kind": "baseline", "reason": "known finding"}
    result.findings[1] = dataclasses.replace(
        result.findings[1], status=Status.KNOWN, suppression=known, baseline_state="known"
    )
    data = report_data(result, ReportOptions())
    assert "<vendor> VPN (approved by ciso@example.com)" in data["s"]
    statuses = [data["st"][f[2]] for f in data["f"]]
    assert statuses.count("known") == 1 and statuses.count("suppressed") == 1
    page = HtmlReport().render(result, ReportOptions())
    assert 'id="count-suppressed">1<' in page and 'id="count-known">1<' in page


def test_odd_workspace_shapes_still_draw(tmp_path: Path) -> None:
    result = scan(tmp_path, drifted())
    inst = result.instances[0]
    for props in (
        "text",
        [],
        {"managedNetwork": "x"},
        {"managedNetwork": {"outboundRules": []}},
        {
            "managedNetwork": {
                "status": 3,
                "outboundRules": {"r": {"type": "PrivateEndpoint", "destination": "x"}},
            }
        },
    ):
        result.instances[0] = dataclasses.replace(
            inst, workspace={**inst.workspace, "properties": props}
        )
        model = diagram_of(report_data(result, ReportOptions()), 0)
        assert {b[0] for b in model["boxes"]} >= {"workspace", "managednetwork"}


@needs_chromium
def test_an_estate_without_workspaces_renders_without_errors(tmp_path: Path) -> None:
    result = scan(tmp_path, [])
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, ReportOptions()), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    assert "No Azure Machine Learning workspace found" in dom
    assert text_of(dom, "o-shown") == "0" and text_of(dom, "shown-count") == "0"
