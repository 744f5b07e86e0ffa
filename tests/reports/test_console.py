"""The console report: what a person reads, at 80 to 120 columns and through a pipe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from amlguard.reports.console import ConsoleReport
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.instances import Instance
from amlguard.scanner.model import Finding, ScanResult, Severity, SourceInfo, Status
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import run_scan, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource, write_snapshot
from tests.builders import blueprint
from tests.conftest import EXAMPLES

ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack()


def _scan(pack, *paths: Path) -> ScanResult:  # type: ignore[no-untyped-def]
    return run_scan(SnapshotSource(list(paths)), pack, select_rules(pack))


def _render(result: ScanResult, width: int = 100, **kw: object) -> str:
    return ConsoleReport().render(result, ReportOptions(width=width, **kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def drifted(pack) -> ScanResult:  # type: ignore[no-untyped-def]
    return _scan(pack, EXAMPLES / "drifted.json")


def _block(text: str, rule_id: str, resource: str) -> str:
    """The lines of one finding's block: from its heading to the next blank line."""
    lines = text.splitlines()
    start = next(
        i for i, ln in enumerate(lines) if rule_id in ln and resource in ln and "FAIL" in ln
    )
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def test_one_summary_line_per_instance_with_counts(drifted: ScanResult) -> None:
    text = _render(drifted)
    line = next(ln for ln in text.splitlines() if "blueprint-dev-mlw" in ln and "fail," in ln)
    assert line.split() == [
        "FAIL",
        "high",
        "blueprint-dev-mlw",
        "ml-secure-blueprint",
        "8f1c2a6e",
        "12",
        "fail,",
        "25",
        "pass,",
        "1",
        "skipped",
    ]


def test_every_failing_finding_is_listed_with_rule_severity_and_resource(
    drifted: ScanResult,
) -> None:
    text = _render(drifted)
    failing = [f for f in drifted.findings if f.status is Status.FAIL]
    assert len(failing) == 12
    headings = [ln for ln in text.splitlines() if ln.lstrip().startswith("FAIL AMLG-")]
    assert len(headings) == len(failing)
    for f in failing:
        name = f.resource_id.rsplit("/", 1)[-1]
        assert any(f.rule_id in h and f.severity.label in h and name in h for h in headings), (
            f.rule_id
        )


def test_block_shows_expected_found_where_and_fix(drifted: ScanResult) -> None:
    block = _block(_render(drifted), "AMLG-101", "blueprint-dev-mlw")
    assert "(workspace)" in block
    assert re.search(r"^\s+expected\s+Disabled$", block, re.M)
    assert re.search(r"^\s+found\s+Enabled$", block, re.M)
    assert re.search(r"^\s+where\s+properties\.publicNetworkAccess$", block, re.M)
    assert re.search(r"^\s+fix\s+Disable public network access on workspace", block, re.M)
    # The manual command stays on one line so it can be pasted.
    command = next(ln for ln in block.splitlines() if "$ az ml workspace update" in ln)
    assert "--name blueprint-dev-mlw" in command
    assert command.rstrip().endswith("--public-network-access Disabled")


def test_missing_value_is_shown_as_absent(drifted: ScanResult) -> None:
    block = _block(_render(drifted), "AMLG-232", "blueprint-dev-aisvc")
    assert re.search(r"^\s+found\s+absent$", block, re.M)
    assert re.search(r"^\s+where\s+properties\.customSubDomainName$", block, re.M)


def test_offenders_are_listed_by_name(drifted: ScanResult) -> None:
    block = _block(_render(drifted), "AMLG-106", "blueprint-dev-mlw")
    found = next(ln for ln in block.splitlines() if ln.strip().startswith("found"))
    for name in ("blueprint-dev-kv", "blueprintdevacr", "blueprint-dev-oai", "blueprint-dev-aisvc"):
        assert name in found
    assert "/subscriptions/" not in found


@pytest.mark.parametrize("width", [80, 100, 120])
def test_prose_fits_the_width_and_only_commands_run_long(drifted: ScanResult, width: int) -> None:
    text = _render(drifted, width=width, verbose=True)
    long_lines = [ln for ln in text.splitlines() if len(ln) > width]
    assert long_lines, "the fix commands of the drifted estate are longer than any width"
    assert all(ln.lstrip().startswith("$ ") for ln in long_lines), long_lines
    assert not any(ln != ln.rstrip() for ln in text.splitlines()), "trailing blanks"


def test_failures_only_by_default_and_passes_with_verbose(drifted: ScanResult) -> None:
    quiet = _render(drifted)
    loud = _render(drifted, verbose=True)
    assert "Also judged" not in quiet
    assert "--verbose lists the passing checks" in quiet
    assert "Also judged (26)" in loud
    passes = [f for f in drifted.findings if f.status is Status.PASS]
    rows = [ln.split() for ln in loud.splitlines() if ln.lstrip().startswith("pass ")]
    assert len(rows) == len(passes) == 25
    assert ["pass", "AMLG-202", "high", "blueprintdevst"] in rows
    # A skipped finding says why, on the line below it.
    lines = loud.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["skipped", "AMLG-107"])
    assert "Neither the workspace nor its registry is private" in lines[i + 1]


def test_verdict_and_totals(drifted: ScanResult) -> None:
    text = _render(drifted)
    assert "Total: 12 fail, 25 pass, 1 skipped (failing: 7 high, 5 medium)" in text
    assert text.rstrip().splitlines()[-2] == "FAILED: 12 failing finding(s) at or above low."
    below = _render(drifted, fail_on=Severity.CRITICAL)
    assert "PASSED the gate: 12 failing finding(s) below the --fail-on threshold." in below


def test_no_escape_codes_without_colour_and_colour_when_asked(drifted: ScanResult) -> None:
    plain = _render(drifted, color=False, verbose=True)
    assert not ANSI.search(plain)
    coloured = _render(drifted, color=True, verbose=True)
    assert ANSI.search(coloured)
    # Colour is the only difference: the words and the layout are the same.
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_compliant_estate_has_no_detail_blocks(pack) -> None:  # type: ignore[no-untyped-def]
    text = _render(_scan(pack, EXAMPLES / "compliant.json"))
    assert re.search(
        r"^\s+OK\s+-\s+blueprint-dev-mlw\s+ml-secure-blueprint\s+8f1c2a6e\s+34 pass$", text, re.M
    )
    assert "FAIL" not in text and "expected" not in text
    assert "PASSED: every judged resource follows the blueprint." in text


def test_multi_workspace_lines_and_groups(pack) -> None:  # type: ignore[no-untyped-def]
    result = _scan(pack, EXAMPLES / "multi-workspace.json")
    text = _render(result)
    summary = [
        (ln.split()[2], ln.split()[0], ln.split()[1])
        for ln in text.splitlines()
        if ln.startswith("  ") and "pass" in ln
    ]
    # Worst first: the failing workspaces (more failures first), then the clean one.
    assert summary == [
        ("mlresearch-mlw", "FAIL", "high"),
        ("mlemea-mlw", "FAIL", "high"),
        ("mlprod-mlw", "OK", "-"),
    ]
    assert "2 of 3 workspaces drifted: 2 with high failures." in text
    # Findings are grouped under their workspace's heading, in the summary's order.
    research = text.index("\nmlresearch-mlw\n")
    emea = text.index("\nmlemea-mlw\n")
    assert "\nmlprod-mlw\n" not in text
    assert research < text.index("FAIL AMLG-102 high  mlresearch-mlw") < emea
    assert emea < text.index("FAIL AMLG-221 high  mlemeaacr")


def test_error_findings_and_incomplete_verdict(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inst = blueprint()
    path = tmp_path / "missing-storage.json"
    path.write_text(json.dumps([r for r in inst.rows() if r["id"] != inst.storage["id"]]))
    text = _render(_scan(pack, path))
    # AMLG-108 is error too (a linked id the scan did not read), never a plain fail.
    assert re.search(r"^\s+ERROR\s+-\s+blueprint-mlw\s+\S+\s+\S+\s+5 error, 29 pass$", text, re.M)
    assert "ERROR AMLG-201 high  blueprintst (storage account)" in text
    assert "is not in the scanned inventory" in " ".join(text.split())
    assert "INCOMPLETE: 5 finding(s) could not be judged; 0 failing." in text
    # A long id in a message folds onto the next line instead of being cut with an ellipsis.
    assert "…" not in text


def test_gaps_are_shown_first(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "gapped.json"
    write_snapshot(
        path, blueprint().rows(), {"gaps": [{"reason": "403 reading roles", "scope": ""}]}
    )
    text = _render(_scan(pack, path))
    head = text.split("Workspaces")[0]
    assert "SCAN INCOMPLETE" in head and "403 reading roles" in head


def test_no_workspace_says_so(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty-estate.json"
    path.write_text("[]")
    text = _render(_scan(pack, path))
    assert "No Azure Machine Learning workspace found in the scanned estate." in text
    assert "nothing was judged" in text


def test_text_from_the_estate_is_not_read_as_markup() -> None:
    ws_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
    ws = {"id": ws_id, "name": "w", "type": "microsoft.machinelearningservices/workspaces"}
    inst = Instance(ws_id, ws, {}, [], None, None, None, None)
    finding = Finding(
        rule_id="X-1",
        rule_name="x",
        severity=Severity.HIGH,
        status=Status.FAIL,
        resource_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/[bold]a",
        resource_type="microsoft.web/sites",
        instance=ws_id,
        message="value [red]is[/red] odd",
        expected="[b]",
        actual=None,
        path="properties.x",
        remediation="do it\naz thing --name [bold]a",
    )
    result = ScanResult([finding], SourceInfo("snapshot", "t"), "1", "sha256:x", "now", [inst])
    text = _render(result)
    assert "value [red]is[/red] odd" in text
    assert "[bold]a" in text and "$ az thing --name [bold]a" in text
