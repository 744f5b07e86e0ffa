"""The HTML report: self-contained, escaped, diagrams coloured by findings, and rendered for real
in headless Chromium (loads without script errors, shows the expected counts, filters work)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.history.gate import record_scan
from amlguard.reports.html import PAGE, HtmlReport
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from tests.builders import blueprint
from tests.history.scans import scan
from tests.make_examples import compliant, drifted

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EVIL = "<img src=x onerror=\"document.title='pwned'\">&amp;"


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


def _pieces(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-piece="i0:([a-z0-9-]+)" data-status="([a-z]+)"', page))


def test_page_is_self_contained_and_escapes_user_data(tmp_path: Path) -> None:
    result, options = _with_history(tmp_path)
    page = HtmlReport().render(result, options)
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page  # the browser itself refuses any network access
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"""\s(src|href)=["']?https?:""", page)
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    assert "&amp;amp;" in page  # an entity in a name is shown, not interpreted


def test_each_piece_of_the_blueprint_takes_its_worst_status(tmp_path: Path) -> None:
    result = scan(tmp_path, drifted())
    assert _pieces(HtmlReport().render(result, ReportOptions())) == {
        "identity": "fail",  # AMLG-106: the approver role does not cover everything
        "workspace": "fail",  # AMLG-101
        "managednetwork": "fail",  # AMLG-103/104
        "storage": "fail",
        "keyvault": "fail",  # AMLG-240: a pending connection
        "registry": "fail",
        "appinsights": "none",  # no rule judges it: shown as not judged, not as passing
        "ai0": "pass",
        "ai1": "fail",
        "endpoints": "fail",  # AMLG-233 on the new AI account
        "vnet": "fail",  # AMLG-301/302
    }
    clean = _pieces(HtmlReport().render(scan(tmp_path, compliant()), ReportOptions()))
    assert set(clean.values()) == {"pass", "none"} and clean["appinsights"] == "none"


def test_errors_colour_a_piece_over_failures(tmp_path: Path) -> None:
    inst = blueprint()
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    result = scan(tmp_path, inst.rows(), gaps=[{"reason": "throttled", "scope": inst.sub}])
    page = HtmlReport().render(result, ReportOptions())
    assert set(_pieces(page).values()) <= {"error", "none"}
    assert 'class="verdict incomplete"' in page


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


def _chromium(page: Path, tmp_path: Path, fragment: str = "") -> str:
    """The DOM after load (scripts run), as headless Chromium serialises it."""
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _attr(dom: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', dom)
    assert match, f"{name} missing: the page's scripts did not run"
    return match.group(1)


def _text(dom: str, ident: str) -> str:
    match = re.search(rf'id="{ident}"[^>]*>([^<]*)<', dom)
    assert match, ident
    return match.group(1)


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="headless Chromium not installed (apt-get install chromium; .ci/run installs it)",
)
def test_the_report_renders_in_chromium_with_the_expected_counts(tmp_path: Path) -> None:
    result, options = _with_history(tmp_path)
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, options), encoding="utf-8")

    dom = _chromium(page, tmp_path)
    assert _attr(dom, "data-js-ready") == "1"
    assert _attr(dom, "data-js-errors") == "0", _attr(dom, "data-js-error-text")
    assert _text(dom, "count-fail") == "12" and _text(dom, "count-total") == "35"
    assert _text(dom, "shown-count") == "35" == _text(dom, "total-count")
    assert 'data-points="3"' in dom and dom.count('class="dot"') == 3
    assert "pwned" not in _text(dom, "verdict") and "<title>pwned" not in dom
    assert not re.search(r"<img\b", dom)  # the name stayed text

    # Filters come from the address: high-severity failures only.
    dom = _chromium(page, tmp_path, "#status=fail&severity=high")
    assert _attr(dom, "data-js-errors") == "0", _attr(dom, "data-js-error-text")
    high_fails = sum(1 for f in result.findings if f.status.value == "fail" and f.severity >= 3)
    assert high_fails == 7
    assert _text(dom, "shown-count") == str(high_fails)
    rows = re.findall(r'<tr data-status="([a-z]+)" data-severity="([a-z]+)"([^>]*)>', dom)
    assert len(rows) == 35
    shown = [(st, sev) for st, sev, rest in rows if "hidden" not in rest]
    assert shown == [("fail", "high")] * high_fails


def _many_instances(tmp_path: Path) -> ScanResult:
    rows: list[dict] = []  # type: ignore[type-arg]
    for i in range(20):
        inst = blueprint(rg=f"rg-{i}", prefix=f"ws{i}")
        if i % 2:
            inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        rows += inst.rows()
    return scan(tmp_path, rows)


def test_only_the_first_page_of_rows_is_laid_out(tmp_path: Path) -> None:
    result = _many_instances(tmp_path)
    assert len(result.findings) > PAGE
    page = HtmlReport().render(result, ReportOptions())
    starts = re.findall(r"<tr (class=\"hidden\" )?data-status=\"([a-z]+)\"", page)
    assert len(starts) == len(result.findings)
    assert [bool(hidden) for hidden, _ in starts] == [False] * PAGE + [True] * (len(starts) - PAGE)
    # Failures sort first, so none of them waits behind the button.
    assert all(status == "fail" for _, status in starts[:10])


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="headless Chromium not installed (apt-get install chromium; .ci/run installs it)",
)
def test_a_large_report_pages_its_rows_in_chromium(tmp_path: Path) -> None:
    result = _many_instances(tmp_path)
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(result, ReportOptions()), encoding="utf-8")
    dom = _chromium(page, tmp_path)
    assert _attr(dom, "data-js-errors") == "0", _attr(dom, "data-js-error-text")
    total = len(result.findings)
    assert _text(dom, "shown-count") == str(total)
    rows = re.findall(r"<tr [^>]*data-status[^>]*>", dom)
    assert len(rows) == total
    assert sum('class="hidden"' not in r for r in rows) == PAGE
    assert f"Show {total - PAGE} more of {total - PAGE} not displayed" in dom


def test_a_suppressed_finding_shows_why(tmp_path: Path) -> None:
    import dataclasses

    from amlguard.scanner.model import Status

    result = scan(tmp_path, drifted())
    why = {"kind": "suppression", "reason": "<vendor> VPN", "approved_by": "ciso@example.com"}
    result.findings[0] = dataclasses.replace(
        result.findings[0], status=Status.SUPPRESSED, suppression=why
    )
    page = HtmlReport().render(result, ReportOptions())
    assert "suppressed: &lt;vendor&gt; VPN (approved by ciso@example.com)" in page
    assert 'id="count-suppressed">1<' in page
