"""Drift between scans: new, resolved (fixed or resource gone), still failing since when,
unjudged; and the commands that show it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.history.diff import (
    FIXED,
    NOT_APPLICABLE,
    NOT_EVALUATED,
    NOW_ERROR,
    RESOURCE_GONE,
    SUPPRESSED,
    compare,
    diff_scans,
)
from amlguard.history.records import ScanRecord, StoredFinding
from amlguard.history.render import md, render_diff
from amlguard.history.store import HistoryStore
from amlguard.scanner.model import Severity, Status
from tests.builders import blueprint, rid, row
from tests.history.scans import scan

DAY1, DAY2, DAY3, DAY4 = (f"2026-03-0{d}T02:00:00Z" for d in (1, 2, 3, 4))


def _names(changes: tuple) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(c.finding.rule_id, c.finding.resource_id.rsplit("/", 1)[-1]) for c in changes}


def _public_ai_account(inst: object) -> dict:  # type: ignore[type-arg]
    """A second AI account added by hand: public, so three AMLG-23x rules fail on it."""
    return row(
        rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "adhoc-ai"),  # type: ignore[attr-defined]
        "microsoft.cognitiveservices/accounts",
        "westeurope",
        {"publicNetworkAccess": "Enabled"},
        kind="AIServices",
    )


def test_new_resolved_gone_and_still_failing_across_four_scans(tmp_path: Path) -> None:
    inst = blueprint()
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(scan(tmp_path, inst.rows(), when=DAY1))  # compliant

        inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
        extra = _public_ai_account(inst)
        inst.extra.append(extra)
        store.record(scan(tmp_path, inst.rows(), when=DAY2))

        inst.registry["properties"]["publicNetworkAccess"] = "Enabled"
        store.record(scan(tmp_path, inst.rows(), when=DAY3))

        # The storage account is fixed and the ad-hoc AI account deleted.
        inst.storage["properties"]["publicNetworkAccess"] = "Disabled"
        inst.extra.remove(extra)
        store.record(scan(tmp_path, inst.rows(), when=DAY4))

        day2 = diff_scans(store, "1", "2")
        day3 = diff_scans(store, to_ref="3")  # default --from: the previous scan of the scope
        day4 = diff_scans(store)  # default: the last two

    assert day2.before is not None and day2.before.id == 1
    assert _names(day2.new) == {
        ("AMLG-201", "blueprintst"),
        ("AMLG-104", "blueprint-mlw"),  # no outbound rule to the new account
        ("AMLG-231", "adhoc-ai"),
        ("AMLG-232", "adhoc-ai"),
        ("AMLG-233", "adhoc-ai"),
    }
    assert day2.resolved == () and day2.still_failing == ()

    assert day3.before is not None and day3.before.id == 2
    assert _names(day3.new) == {("AMLG-222", "blueprintacr")}
    assert _names(day3.still_failing) == _names(day2.new)
    assert {c.first_seen for c in day3.still_failing} == {DAY2}

    reasons = {
        (c.finding.rule_id, c.finding.resource_id.rsplit("/", 1)[-1]): c.reason
        for c in day4.resolved
    }
    assert reasons[("AMLG-201", "blueprintst")] == FIXED
    assert reasons[("AMLG-231", "adhoc-ai")] == RESOURCE_GONE
    assert reasons[("AMLG-233", "adhoc-ai")] == RESOURCE_GONE
    assert reasons[("AMLG-104", "blueprint-mlw")] == FIXED  # nothing left to route to
    assert day4.new == ()
    still = {
        (c.finding.rule_id, c.finding.resource_id.rsplit("/", 1)[-1]): c for c in day4.still_failing
    }
    assert still[("AMLG-222", "blueprintacr")].first_seen == DAY3
    assert ("AMLG-201", "blueprintst") not in still
    # The resolved storage finding remembers how long it had been failing.
    fixed = next(c for c in day4.resolved if c.finding.rule_id == "AMLG-201")
    assert fixed.first_seen == DAY2 and fixed.finding.status is Status.PASS


def test_a_failure_that_comes_back_is_new_again_with_a_fresh_first_seen(tmp_path: Path) -> None:
    inst = blueprint()
    with HistoryStore(tmp_path / "h.db") as store:
        for when, pna in [(DAY1, "Enabled"), (DAY2, "Disabled"), (DAY3, "Enabled")]:
            inst.keyvault["properties"]["publicNetworkAccess"] = pna
            store.record(scan(tmp_path, inst.rows(), when=when))
        drift = diff_scans(store)
    assert _names(drift.new) == {("AMLG-211", "blueprint-kv")}
    assert drift.new[0].first_seen == DAY3


def test_error_or_unevaluated_is_never_counted_as_resolved(tmp_path: Path) -> None:
    inst = blueprint()
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    inst.keyvault["properties"]["publicNetworkAccess"] = "Enabled"
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(scan(tmp_path, inst.rows(), when=DAY1))
        # The next run could not read the subscription, and ran without the key vault rule.
        rules = tuple(r.id for r in scan(tmp_path, inst.rows()).rules if r.id != "AMLG-211")
        store.record(
            scan(
                tmp_path,
                inst.rows(),
                when=DAY2,
                rule_ids=rules,
                gaps=[{"reason": "throttled", "scope": inst.sub}],
            )
        )
        drift = diff_scans(store)
    assert drift.resolved == () and drift.new == ()
    reasons = {c.finding.rule_id: c.reason for c in drift.unjudged}
    assert reasons == {"AMLG-201": NOW_ERROR, "AMLG-211": NOT_EVALUATED}
    assert all(c.first_seen == DAY1 for c in drift.unjudged)


def test_a_transient_gap_neither_restarts_nor_renews_a_failure(tmp_path: Path) -> None:
    inst = blueprint()
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    throttled = [{"reason": "throttled", "scope": inst.sub}]
    with HistoryStore(tmp_path / "h.db") as store:
        store.record(scan(tmp_path, inst.rows(), when=DAY1))
        store.record(scan(tmp_path, inst.rows(), when=DAY2, gaps=throttled))
        store.record(scan(tmp_path, inst.rows(), when=DAY3, gaps=throttled))
        store.record(scan(tmp_path, inst.rows(), when=DAY4))
        during = diff_scans(store, "2", "3")
        after = diff_scans(store)
    assert [(c.reason, c.first_seen) for c in during.unjudged] == [(NOW_ERROR, DAY1)]
    assert after.new == () and after.resolved == ()
    assert [(c.finding.rule_id, c.first_seen) for c in after.still_failing] == [("AMLG-201", DAY1)]


def _record(scan_id: int) -> ScanRecord:
    return ScanRecord(scan_id, DAY1, DAY1, "s", "snapshot", "x", "0", "p", "h", True, (), {})


def _finding(resource: str, status: Status, rule: str = "AMLG-201") -> StoredFinding:
    return StoredFinding(
        rule, "n", Severity.HIGH, status, resource, "t", "/ws", "m", None, None, None, None
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [(Status.PASS, FIXED), (Status.SUPPRESSED, SUPPRESSED), (Status.SKIPPED, NOT_APPLICABLE)],
)
def test_the_reason_a_failure_went_away(status: Status, reason: str) -> None:
    before = [_finding("/r/A", Status.FAIL)]
    after = [_finding("/R/a", status)]  # ids compare case-insensitively
    drift = compare(_record(1), before, _record(2), after, {"AMLG-201"})
    assert [c.reason for c in drift.resolved] == [reason]


def test_a_rule_that_left_a_still_judged_resource_is_unjudged() -> None:
    before = [_finding("/r/a", Status.FAIL, "AMLG-104")]
    after = [_finding("/r/a", Status.PASS, "AMLG-101")]
    drift = compare(_record(1), before, _record(2), after, {"AMLG-101", "AMLG-104"})
    assert [c.reason for c in drift.unjudged] == [NOT_EVALUATED] and drift.resolved == ()


def test_fail_on_new_exits_1_only_for_new_failures_of_the_same_scope(tmp_path: Path) -> None:
    inst = blueprint()
    snapshot = tmp_path / "estate.json"
    db = tmp_path / "h.db"
    runner = CliRunner()

    def check(*extra: str, env: dict[str, str] | None = None) -> int:
        args = ["check", "--snapshot", str(snapshot), "--format", "json", *extra]
        return runner.invoke(cli, args, env=env).exit_code

    scan(tmp_path, inst.rows())  # writes the snapshot
    assert check("--history", str(db), "--fail-on-new") == 0
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    scan(tmp_path, inst.rows())
    assert check("--history", str(db), "--fail-on-new") == 1  # new since the last scan
    # a re-run of the failed job: that scan accepted nothing, the failure is still new
    assert check("--fail-on-new", env={"AMLGUARD_HISTORY": str(db)}) == 1
    assert check("--history", str(db)) == 1  # without the flag the failure still gates...
    assert check("--fail-on-new", env={"AMLGUARD_HISTORY": str(db)}) == 0  # ...and is adopted
    # Another scope has no previous scan: every failure is new there (fail closed).
    assert check("--history", str(db), "--history-scope", "other", "--fail-on-new") == 1
    # Below --fail-on a new failure does not gate either.
    inst.registry["properties"]["publicNetworkAccess"] = "Enabled"
    scan(tmp_path, inst.rows())
    assert check("--history", str(db), "--fail-on-new", "--fail-on", "critical") == 0
    # An incomplete scan keeps exit 3 whatever is new.
    scan(tmp_path, inst.rows(), gaps=[{"reason": "throttled", "scope": inst.sub}])
    assert check("--history", str(db), "--fail-on-new") == 3
    with HistoryStore(db) as store:
        assert len(store.scans()) == 8
    # ... and 'diff --fail-on-new' over that incomplete scan fails closed too, naming it.
    res = runner.invoke(cli, ["diff", "--history", str(db), "--fail-on-new"])
    assert res.exit_code == 3, res.output
    assert "incomplete: --fail-on-new cannot pass it" in res.stderr
    assert runner.invoke(cli, ["diff", "--history", str(db)]).exit_code == 0  # a report, no gate


def test_fail_on_new_without_a_history_is_a_usage_error(tmp_path: Path) -> None:
    scan(tmp_path, blueprint().rows())
    out = CliRunner().invoke(
        cli, ["check", "--snapshot", str(tmp_path / "estate.json"), "--fail-on-new"]
    )
    assert (
        out.exit_code == 2
        and "--fail-on-new (or history.fail_on_new in the config file) needs" in out.output
    )


@pytest.fixture
def two_scans(tmp_path: Path) -> Path:
    inst = blueprint()
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(scan(tmp_path, inst.rows(), when=DAY1), "nightly")
        drifted = copy.deepcopy(inst)
        drifted.storage["properties"]["publicNetworkAccess"] = "Enabled"
        drifted.storage["name"] = "st|<b>*pwn*</b>"
        store.record(scan(tmp_path, drifted.rows(), when=DAY2), "nightly")
    return db


def test_diff_command_formats(two_scans: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["diff", "--history", str(two_scans), "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["summary"] == {"new": 1, "resolved": 0, "still_failing": 0, "unjudged": 0}
    assert doc["from"]["id"] == 1 and doc["to"]["id"] == 2
    assert doc["new"][0]["rule_id"] == "AMLG-201" and doc["new"][0]["first_seen"] == DAY2

    out = runner.invoke(cli, ["diff", "--history", str(two_scans)])
    assert "1 new failure(s), 0 resolved" in out.output and "AMLG-201" in out.output

    target = tmp_path / "out" / "drift.md"
    args = ["diff", "--history", str(two_scans), "--format", "markdown", "--output", str(target)]
    out = runner.invoke(cli, [*args, "--fail-on-new"])
    assert out.exit_code == 1 and out.output == ""
    text = target.read_text()
    assert "### New failures (1)" in text
    table_rows = [line for line in text.splitlines() if line.startswith("| high")]
    assert len(table_rows) == 1
    # The message names the resource; its | and markup are escaped, so the row keeps 6 cells.
    assert table_rows[0].replace("\\|", "").count("|") == 7
    assert "<b>" not in text and "&lt;b&gt;" in text


def test_history_list_and_show(two_scans: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["history", "list", "--history", str(two_scans), "--format", "json"])
    scans = json.loads(out.output)
    assert [(s["id"], s["scope"], s["counts"]["fail"]) for s in scans] == [
        (1, "nightly", 0),
        (2, "nightly", 1),
    ]
    out = runner.invoke(cli, ["history", "list", "--history", str(two_scans)])
    assert out.exit_code == 0 and out.output.splitlines()[2].split()[:3] == ["2", DAY2, "1"]
    out = runner.invoke(cli, ["history", "show", "latest", "--history", str(two_scans)])
    assert "AMLG-201" in out.output and f"failing since {DAY2}" in out.output
    out = runner.invoke(
        cli, ["history", "show", "1", "--history", str(two_scans), "--format", "json", "-v"]
    )
    assert len(json.loads(out.output)["findings"]) == 34


def test_diff_needs_two_scans_of_a_scope(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db) as store:
        store.record(scan(tmp_path, blueprint().rows()), "only")
    out = CliRunner().invoke(cli, ["diff", "--history", str(db)])
    assert out.exit_code == 2 and "first of scope 'only'" in out.output


def test_markdown_cells_escape_user_data() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<script>") == "&lt;script&gt;"
    # A line break is shown as a visible escape (the check's Markdown report does the same).
    assert md("*x*_y_\n[z](u)") == "\\*x\\*\\_y\\_\\\\n\\[z\\](u)"


def test_console_diff_names_the_scans(two_scans: Path) -> None:
    with HistoryStore(two_scans) as store:
        text = render_diff(diff_scans(store), "console")
    assert f"scan 1 ({DAY1}) -> scan 2 ({DAY2})" in text


def test_the_config_file_names_the_history_and_its_gate(tmp_path: Path, monkeypatch) -> None:
    inst = blueprint()
    workdir = tmp_path / "job"
    (workdir / "state").mkdir(parents=True)
    (workdir / "amlguard.yaml").write_text(
        "history:\n  path: state/h.db\n  scope: nightly\n  fail_on_new: true\n", encoding="utf-8"
    )
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("AMLGUARD_HISTORY", raising=False)
    runner = CliRunner()

    def check(*extra: str) -> int:
        args = ["check", "--snapshot", str(tmp_path / "estate.json"), "--format", "json", *extra]
        return runner.invoke(cli, args).exit_code

    scan(tmp_path, inst.rows())
    assert check() == 0
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    scan(tmp_path, inst.rows())
    assert check() == 1  # new since the last scan of scope "nightly"
    assert check() == 1  # a re-run: the scan that failed the gate accepted nothing
    assert check("--no-fail-on-new") == 1  # a flag wins over the file (and adopts the failure)
    assert check() == 0  # the same failure is not new now: the config's fail_on_new gates
    assert check("--no-history") == 1  # not recorded, and no history to compare with: gates
    db = workdir / "state" / "h.db"  # relative to the config file
    with HistoryStore(db) as store:
        assert {s.scope for s in store.scans()} == {"nightly"}
    # history list, show and diff find the database through the same file.
    listed = runner.invoke(cli, ["history", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)) == 5  # the --no-history run is not among them
    drift = runner.invoke(cli, ["diff", "--format", "json"])
    assert drift.exit_code == 0, drift.output


def test_a_history_path_may_start_with_the_home_directory(tmp_path: Path, monkeypatch) -> None:
    from amlguard import config

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "amlguard.yaml").write_text("history:\n  path: ~/amlguard/h.db\n", "utf-8")
    loaded = config.load_config(tmp_path / "amlguard.yaml")
    assert loaded.history_path == tmp_path / "home" / "amlguard" / "h.db"


def test_history_commands_read_the_config_file_they_are_given(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMLGUARD_HISTORY", raising=False)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "amlguard.yaml").write_text("history:\n  path: h.db\n", "utf-8")
    with HistoryStore(tmp_path / "ci" / "h.db") as store:
        store.record(scan(tmp_path, blueprint().rows(), when=DAY1), "nightly")
    out = CliRunner().invoke(cli, ["history", "list", "--config", "ci/amlguard.yaml"])
    assert out.exit_code == 0 and "nightly" in out.output


def test_no_history_and_fail_on_new_contradict_each_other(tmp_path: Path) -> None:
    scan(tmp_path, blueprint().rows())
    args = ["check", "--snapshot", str(tmp_path / "estate.json"), "--no-history", "--fail-on-new"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2 and "--no-history" in out.output


def test_history_commands_without_a_database_say_where_to_name_one(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMLGUARD_HISTORY", raising=False)
    out = CliRunner().invoke(cli, ["history", "list"])
    assert out.exit_code == 2
    assert "--history" in out.output and "history.path" in out.output


def test_a_bad_history_section_is_reported_with_its_position(tmp_path: Path, monkeypatch) -> None:
    scan(tmp_path, blueprint().rows())
    (tmp_path / "amlguard.yaml").write_text("history:\n  fail_on_new: yes please\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["check", "--snapshot", str(tmp_path / "estate.json")])
    assert out.exit_code == 2
    assert "amlguard.yaml:2:" in out.output and "fail_on_new" in out.output
