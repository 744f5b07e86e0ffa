"""The check's own findings' JSON lines, written while the worker judges, give byte for byte
the report the serial check writes; anything they were not written for is written again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.reports import json_lines, json_report
from amlguard.reports.interface import ReportOptions
from amlguard.reports.outputs import json_ahead
from amlguard.scanner import parallel
from amlguard.scanner.model import Finding, Status
from amlguard.settings import CheckSettings
from amlguard.settingtypes import Fix, History, Outputs, OutputTarget
from tests.conftest import EXAMPLES
from tests.reports.test_json_report import EMPTY, _findings, reference
from tests.scanner.parallel_helpers import TODAY, force_parallel, generated, serial_report

JSON_OUT = Outputs(stdout_format="json", targets=(OutputTarget("json", None),))
HOSTILE = ['"\\\n\r\t\x00\x1f', "\u2028\u2029", "é漢😀", "\ud800", ",\n    ", "</script>"]


def ahead_result(snapshot: Path) -> Any:
    """``check --snapshot FILE --format json``'s judged scan (lines written ahead)."""
    settings_ = CheckSettings(snapshots=(snapshot,), today=TODAY, outputs=JSON_OUT)
    result = app.prepare_scan(settings_).result
    result.scan_time = "2026-01-01T00:00:00Z"
    return result


def render(result: Any, options: ReportOptions | None = None) -> str:
    return app.render(result, "json", options or ReportOptions())


def written_again(result: Any, options: ReportOptions | None = None) -> str:
    """The report with nothing kept ahead: every line written at render time."""
    kept = json_lines._ahead
    json_lines.forget()
    try:
        return render(result, options)
    finally:
        json_lines._ahead = kept


@pytest.mark.parametrize(
    ("n", "seed", "options"),
    [
        pytest.param(9, 11, {}, id="n9"),
        pytest.param(12, 12, {"drift": 0.9}, id="n12-drifted"),
        pytest.param(12, 13, {"dns": "hub", "share": ("registry", "openai")}, id="n12-hub"),
    ],
)
def test_lines_written_ahead_give_the_serial_report(
    n: int, seed: int, options: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated(tmp_path, n, seed, **options)
    serial_text, serial_findings = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=1)
    result = ahead_result(path)
    assert parallel.last.processes == 2, parallel.describe()
    kept = json_lines._ahead
    # the check's own share's lines, then the worker's, written as its answer came in
    assert kept is not None and kept.count == len(result.findings)
    assert kept.findings is result.findings
    assert render(result) == serial_text == written_again(result)
    assert result.findings == serial_findings


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json"))[:4], ids=lambda p: p.stem)
def test_example_estates_ahead_same_report(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial_text, _ = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=0)
    assert render(ahead_result(path)) == serial_text


def test_serial_check_keeps_nothing_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker, nothing to overlap: no lines are written ahead, and older ones are dropped."""
    path = generated(tmp_path, 6, 14)
    json_lines.keep([Finding("R", "r", 1, Status.PASS, "/r", "t", "/i", "m")], 1, "x", {})  # type: ignore[arg-type]
    monkeypatch.setenv(parallel.ENV_WORKERS, "1")
    result = ahead_result(path)
    assert json_lines._ahead is None
    assert render(result) == reference(result)


def test_replaced_findings_are_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A suppression or baseline replaces findings after the evaluation: theirs are written
    from the replacements (hostile text included), the others reused; same as written anew."""
    path = generated(tmp_path, 10, 15, drift=0.5)
    force_parallel(monkeypatch, warm=0)
    result = ahead_result(path)
    kept = json_lines._ahead
    assert kept is not None and kept.count > 3
    findings = list(result.findings)
    for i, text in zip(range(0, kept.count, 3), HOSTILE * 100, strict=False):
        findings[i] = dataclasses.replace(
            findings[i],
            status=Status.SUPPRESSED,
            message=text,
            suppression={"reason": text, "kind": "config"},
            baseline_state="known" if i % 2 else None,
        )
    result.findings = findings
    text = render(result)
    assert text == written_again(result) == reference(result)
    assert text.count('\n    {"rule_id": ') == len(findings)


def test_other_rules_or_history_markers_are_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated(tmp_path, 9, 16, drift=0.5)
    force_parallel(monkeypatch, warm=0)
    result = ahead_result(path)
    assert json_lines._ahead is not None
    fail = next(f for f in result.findings if f.status is Status.FAIL)
    history = {"history": {"new_keys": ["|".join(fail.key)]}}
    options = ReportOptions(extra=history)
    assert render(result, options) == written_again(result, options)
    assert '"new": true' in render(result, options)
    retitled = [dataclasses.replace(r, title="Another title") for r in result.rules]
    other = dataclasses.replace(result, rules=retitled)
    assert render(other) == written_again(other)
    assert "Another title" in render(other)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(findings=_findings, data=st.data())
def test_any_findings_kept_ahead_render_byte_identical(
    findings: list[Finding], data: st.DataObject
) -> None:
    """Whatever findings (hostile strings, odd types, subclasses) and however many were
    written ahead, the report is the one written at render time."""
    result = dataclasses.replace(EMPTY, findings=findings)
    facts = json_report.rule_facts(result)
    count = data.draw(st.integers(0, len(findings)))
    try:
        json_lines.keep(findings, count, json_report.lines_text(findings[:count], facts), facts)
    except TypeError:  # what the report itself raises on such a finding
        return
    replaced = data.draw(st.sets(st.integers(0, max(0, count - 1)), max_size=3))
    shown = [dataclasses.replace(f) if i in replaced else f for i, f in enumerate(findings)]
    result = dataclasses.replace(result, findings=shown)
    try:
        assert render(result) == reference(result)
    finally:
        json_lines.forget()


def test_a_failing_ahead_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource

    path = generated(tmp_path, 8, 17)
    pack = load_pack()
    rules = select_rules(pack)
    inventory = Inventory(SnapshotSource([path]).collect(needs_of(rules)).rows)
    instances = build_instances(inventory, instance_settings(pack, ScanOptions()))
    serial = Engine(inventory, rules, EngineOptions()).run(instances)
    force_parallel(monkeypatch, warm=0)

    def boom(_found: Any) -> str:
        raise ValueError("no")

    engine = Engine(inventory, rules, EngineOptions())
    assert parallel.run(engine, instances, ahead=boom) == serial
    assert parallel.last.processes == 2 and parallel.last.ahead_count == 0
    found = parallel.run(engine, instances, ahead=lambda fs: "x" * len(fs))
    assert found == serial and parallel.last.ahead_count == len(serial)
    own = parallel.last.share_costs and len(parallel.last.ahead_texts[0])
    assert len(parallel.last.ahead_texts) == 2 and 0 < own < len(serial)


def test_json_ahead_only_where_the_lines_survive() -> None:
    base = CheckSettings(snapshots=(Path("e.json"),))
    assert not json_ahead(base)  # console
    assert json_ahead(dataclasses.replace(base, outputs=JSON_OUT))
    to_file = Outputs(targets=(OutputTarget("console", None), OutputTarget("JSON", Path("r"))))
    assert json_ahead(dataclasses.replace(base, outputs=to_file))
    assert not json_ahead(
        dataclasses.replace(base, outputs=JSON_OUT, history=History(path=Path("h.db")))
    )
    assert not json_ahead(dataclasses.replace(base, outputs=JSON_OUT, fix=Fix(enabled=True)))


def test_real_check_process_writes_the_serial_reports(tmp_path: Path) -> None:
    """``amlguard check --format json -o json:FILE`` in a real process, the worker forked and
    the lines written ahead: standard output and the file are the serial check's, byte for
    byte (scan time aside)."""
    import os
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = generated(tmp_path, 8, 18, drift=0.5)

    def check(driver: bool, out: Path) -> tuple[bytes, bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("AMLGUARD_DEBUG", None)
        env.pop(parallel.ENV_WORKERS, None)
        head = ["-m", "tests.scanner.parallel_driver", "plain"] if driver else ["-m", "amlguard"]
        if not driver:
            env[parallel.ENV_WORKERS] = "1"
        argv = ["check", "--snapshot", str(path), "--format", "json", "-o", f"json:{out}"]
        done = subprocess.run(
            [sys.executable, *head, *argv], cwd=ROOT, env=env, capture_output=True, timeout=300
        )
        assert done.returncode == 1, done.stderr.decode()
        assert (b"WORKER " in done.stderr) is driver
        assert b"Traceback" not in done.stderr
        stdout = done.stdout.removeprefix(b"PENDING-") if driver else done.stdout
        return stdout, out.read_bytes()

    def masked(text: bytes) -> bytes:
        return re.sub(rb'"scan_time": "[^"]*"', b'"scan_time": ""', text)

    serial = check(False, tmp_path / "serial.json")
    forked = check(True, tmp_path / "forked.json")
    assert masked(forked[0]) == masked(serial[0]) == masked(forked[1]) == masked(serial[1])
    assert forked[0].count(b'\n    {"rule_id": ') > 100
