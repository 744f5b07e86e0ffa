"""Golden report files: every format for every example estate, plus one gated run.

Regenerate after an intended change to a report with::

    python -m tests.reports.golden

and review the diff. The scan time and the tool version are normalised, so only a change in
what a report says changes a golden file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from amlguard import __version__, app
from amlguard.config import load_config
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult, Severity
from amlguard.settings import CheckSettings, Gate

ROOT = Path(__file__).resolve().parents[2]
ESTATES = ROOT / "examples" / "estates"
GOLDEN = Path(__file__).resolve().parent / "golden"
FORMATS = {
    "console": "txt",
    "json": "json",
    "junit": "xml",
    "sarif": "sarif",
    "markdown": "md",
    # The HTML page's overview section (the rest of the page is data its script draws).
    "html-overview": "overview.html",
}
SCAN_TIME = "2026-01-01T00:00:00Z"
TODAY = dt.date(2026, 11, 26)
VERSION = "0.0.0-golden"

# The gated case: drifted.json, a config with an active, an expired and a stale suppression,
# and a baseline that knows some failures (one is "resolved": AMLG-102 passes on drifted.json).
GATED_CONFIG = """\
version: 1
suppressions:
  - rule: AMLG-222
    resource: "/subscriptions/*/resourceGroups/ML-SECURE-BLUEPRINT/*/registries/blueprintdevacr"
    reason: Registry stays public until the build agents move into the VNet (CHG-1042)
    expires: 2026-12-31
    approved_by: secops@contoso.example
  - rule: AMLG-201
    resource: "*"
    reason: Storage exception from the pilot
    expires: 2026-06-30
  - rule: AMLG-302
    resource: "*/resourceGroups/decommissioned/*"
    reason: Old estate, being deleted
    expires: 2027-03-31
"""
GATED_BASELINE_RULES = ("AMLG-101", "AMLG-103", "AMLG-232", "AMLG-301")


def cases() -> list[str]:
    """Case names: one per example estate, plus the gated one."""
    return [p.stem for p in sorted(ESTATES.glob("*.json"))] + ["drifted-gated"]


def _scan(case: str, work: Path) -> tuple[ScanResult, list[str]]:
    estate = ESTATES / ("drifted.json" if case == "drifted-gated" else f"{case}.json")
    settings = CheckSettings(snapshots=(estate,), today=TODAY)
    if case == "drifted-gated":
        config_path = work / "amlguard.yaml"
        config_path.write_text(GATED_CONFIG, encoding="utf-8")
        cfg = load_config(config_path)
        settings = replace(
            settings,
            config=cfg,
            gate=Gate(baseline=_gated_baseline(estate, work)),
        )
    result = app.prepare_scan(settings).result
    _normalise(result, work)
    return result, [str(estate)]


def _normalise(result: ScanResult, work: Path) -> None:
    """Machine-specific text out before rendering (the console wraps by length)."""
    result.scan_time = SCAN_TIME
    result.source.description = result.source.description.replace(f"{ROOT}/", "")
    result.warnings = [w.replace(f"{work}/", "") for w in result.warnings]
    findings = []
    for f in result.findings:
        if f.suppression is not None:
            fixed = {
                k: v.replace(f"{work}/", "") if isinstance(v, str) else v
                for k, v in f.suppression.items()
            }
            f = replace(f, suppression=fixed)
        findings.append(f)
    result.findings = findings
    if result.baseline is not None:
        result.baseline["file"] = result.baseline["file"].replace(f"{work}/", "")


def _gated_baseline(estate: Path, work: Path) -> Path:
    from amlguard import baseline

    result = app.prepare_scan(CheckSettings(snapshots=(estate,))).result
    doc = baseline.document(result)
    doc["created"] = SCAN_TIME
    kept = [e for e in doc["findings"] if e["rule_id"] in GATED_BASELINE_RULES]
    workspace = kept[0]["instance"]
    kept.append(
        {
            "rule_id": "AMLG-102",
            "resource_id": workspace,
            "instance": workspace,
            "severity": "high",
            "rule_name": "workspace-managed-network-isolated",
            "message": "Workspace blueprint-dev-mlw had managed network isolation Disabled.",
        }
    )
    doc["findings"] = kept
    path = work / "amlguard-baseline.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def render_case(case: str, fmt: str, work: Path) -> str:
    """One golden text: the report of ``case`` in ``fmt``, time, version and paths normalised."""
    result, artifacts = _scan(case, work)
    options = ReportOptions(fail_on=Severity.LOW, extra={"artifacts": artifacts, "root": str(ROOT)})
    if fmt == "html-overview":
        from amlguard.reports.html import overview_html

        text = overview_html(result, options) + "\n"
    else:
        text = app.render(result, fmt, options)
    text = text.replace(str(work), "@WORK@").replace(str(ROOT), "@ROOT@")
    return text.replace(__version__, VERSION)


def golden_path(case: str, fmt: str) -> Path:
    """Where the golden file of a case and format lives."""
    return GOLDEN / f"{case}.{FORMATS[fmt]}"


def main() -> None:
    import tempfile

    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            for fmt in FORMATS:
                path = golden_path(case, fmt)
                path.write_text(render_case(case, fmt, Path(tmp)), encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
