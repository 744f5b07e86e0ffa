"""Recorded data is hostile: no diff format (and no history list/show text) lets a resource name,
message, scope or offender put a control character on a terminal or live Markdown (a link, an
@mention, HTML, a broken table) into a job summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.history.diff import compare
from amlguard.history.records import ScanRecord, StoredFinding
from amlguard.history.render import render_diff, render_scan, render_scans
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import Severity, Status
from tests.builders import blueprint
from tests.history.scans import scan

# Raw characters no rendered output may hold (line feeds are ours; rich's colour codes are
# checked separately).
_RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
_HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "\x07bell",
    "\u202egnp.exe",
    "@octocat",
    "https://evil.example/x",
    "www.evil.example",
    "[click](https://evil.example)",
    "![img](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    "a|b|c",
    "`code`",
    "line\n# heading",
    "**bold** _it_ ~~s~~",
    "&lt;b&gt;",
    "\\|",
]
names = st.one_of(st.sampled_from(_HOSTILE), st.text(max_size=40))


def _record(scan_id: int, scope: str) -> ScanRecord:
    when = f"2026-01-0{scan_id}T00:00:00Z"
    return ScanRecord(scan_id, when, when, scope, "snapshot", scope, "0", "p", "h", False, (), {})


def _finding(name: str, status: Status, offenders: tuple[str, ...], rule: str) -> StoredFinding:
    rid = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/x/{name}"
    return StoredFinding(
        rule_id=rule,
        rule_name="r",
        severity=Severity.HIGH,
        status=status,
        resource_id=rid,
        resource_type="microsoft.network/x",
        instance=f"/subscriptions/s/workspaces/{name}",
        message=f"Resource {name} is open",
        path=None,
        expected=None,
        actual=None,
        first_seen=name,
        offenders=offenders,
    )


def _markdown_is_inert(text: str) -> None:
    assert not _RAW.search(text)
    assert "://" not in text and not re.search(r"(?i)\bwww\.", text)
    assert not re.search(r"@(?!&#8203;)", text)
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| change"):
            # Data rows: only our own cell separators are unescaped pipes, and nothing opens
            # a link, an image, emphasis, a code span or HTML.
            unescaped = re.sub(r"\\.", "", line).replace("&#8203;", "")  # our own break
            assert unescaped.count("|") in (3, 7), line
            assert not re.search(r"[\[\]`*_<>~!#]", unescaped), line


@settings(derandomize=True, max_examples=150, deadline=None)
@given(names, names, names)
def test_no_diff_format_passes_hostile_text_through(name: str, other: str, scope: str) -> None:
    before = [
        _finding(name, Status.FAIL, (name,), "AMLG-302"),
        _finding(other, Status.FAIL, (), "AMLG-201"),
        _finding(scope, Status.FAIL, (), "AMLG-222"),
    ]
    after = [
        _finding(name, Status.FAIL, (name, other + "x"), "AMLG-302"),  # grown: new offender
        _finding(other, Status.PASS, (), "AMLG-201"),  # resolved
        _finding(scope, Status.ERROR, (), "AMLG-222"),  # unjudged
        _finding(other, Status.FAIL, (other,), "AMLG-101"),  # new
    ]
    diff = compare(_record(1, scope), before, _record(2, scope + "!"), after, {"AMLG-302"})
    assert len(diff.new) == 2  # the grown finding and the new one
    _markdown_is_inert(render_diff(diff, "markdown"))
    assert not _RAW.search(render_diff(diff, "console"))
    coloured = render_diff(diff, "console", color=True)
    assert not _RAW.search(re.sub(r"\x1b\[[0-9;]*m", "", coloured))
    doc = render_diff(diff, "json")
    assert not _RAW.search(doc) and json.loads(doc)["summary"]["new"] == 2
    assert not _RAW.search(render_scans([diff.before, diff.after], "table"))  # type: ignore[list-item]
    assert not _RAW.search(render_scan(diff.after, after, "text", verbose=True))


def test_hostile_names_through_the_real_cli(tmp_path: Path) -> None:
    inst = blueprint()
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(scan(tmp_path, inst.rows()), "nightly\x1b]0;pwn\x07")
        inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        inst.storage["name"] = "st\u202e @admin https://evil.example \x1b[2J|x"
        store.record(scan(tmp_path, inst.rows()), "nightly\x1b]0;pwn\x07")
    runner = CliRunner()
    md = runner.invoke(cli, ["diff", "--history", str(db), "-f", "markdown"])
    assert md.exit_code == 0 and "AMLG-201" in md.stdout
    _markdown_is_inert(md.stdout)
    for args in (["diff"], ["history", "list"], ["history", "show"]):
        out = runner.invoke(cli, [*args, "--history", str(db)])
        assert out.exit_code == 0, out.output
        assert not _RAW.search(out.stdout), args
        assert "\\x1b" in out.stdout  # shown, not dropped: a reader sees something was there
