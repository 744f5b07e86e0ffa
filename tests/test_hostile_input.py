"""Issue 11, input side: hostile and broken input through the CLI, one test per defect.

Each test names the item of the issue it pins. Every run asserts its documented exit code and
that no traceback reached the user.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from tests.conftest import EXAMPLES

COMPLIANT = EXAMPLES / "compliant.json"
WS_TYPE = "microsoft.machinelearningservices/workspaces"
JWT = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 4, result.output
    return result


def estate() -> dict[str, Any]:
    return json.loads(COMPLIANT.read_text(encoding="utf-8"))


def workspace(doc: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in doc["data"] if r["type"] == WS_TYPE)


def of_type(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(r for r in doc["data"] if r["type"].endswith(suffix))


def write(tmp_path: Path, doc: Any, name: str = "estate.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def check_json(snapshot: str, *more: str) -> tuple[int, dict[str, Any]]:
    result = run("check", "--snapshot", snapshot, "--format", "json", *more)
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def statuses(doc: dict[str, Any], rule: str) -> set[str]:
    return {f["status"] for f in doc["findings"] if f["rule_id"] == rule}


def test_the_compliant_estate_passes() -> None:
    code, doc = check_json(str(COMPLIANT))
    assert code == EXIT_OK and statuses(doc, "AMLG-108") == {"pass"}


# ------------------------------------------------------------------ 2: links that are no ids


@pytest.mark.parametrize("link", ["", 0, False, [], {}, "nope", "/subscriptions/x"])
@pytest.mark.parametrize("role", ["keyVault", "storageAccount", "containerRegistry"])
def test_2_a_link_that_is_not_a_resource_id_fails_amlg_108(
    tmp_path: Path, role: str, link: Any
) -> None:
    doc = estate()
    workspace(doc)["properties"][role] = link
    code, out = check_json(write(tmp_path, doc))
    assert code == EXIT_FINDINGS
    failed = [f for f in out["findings"] if f["rule_id"] == "AMLG-108"]
    assert [f["status"] for f in failed] == ["fail"]
    assert failed[0]["expected"] == "a resource id"
    assert "(not a resource id)" in failed[0]["message"]
    assert failed[0]["path"] == f"properties.{role}"


@pytest.mark.parametrize("value", [False, 0, [], {}, "", "  "])
def test_2_a_custom_subdomain_must_be_a_non_empty_string(tmp_path: Path, value: Any) -> None:
    doc = estate()
    of_type(doc, "cognitiveservices/accounts")["properties"]["customSubDomainName"] = value
    code, out = check_json(write(tmp_path, doc))
    assert code == EXIT_FINDINGS and statuses(out, "AMLG-232") == {"fail"}


def test_2_the_is_operator_rejects_an_unknown_type(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(
        _rule("condition: {field: name, is: uuid}"),
        encoding="utf-8",
    )
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE and "r.yaml:" in result.stderr


# ------------------------------------------------------------------ 3: a row of the wrong type


@pytest.mark.parametrize(
    "rtype", ["Microsoft.MachineLearningServices/workspace", "microsoft.storage/storageaccounts"]
)
def test_3_a_type_the_id_contradicts_is_an_input_error_naming_the_row(
    tmp_path: Path, rtype: str
) -> None:
    doc = estate()
    index = doc["data"].index(workspace(doc))
    workspace(doc)["type"] = rtype
    result = run("check", "--snapshot", write(tmp_path, doc))
    assert result.exit_code == EXIT_USAGE
    assert f"data[{index}]" in result.stderr and "contradicts" in result.stderr


def test_3_a_trailing_space_in_the_type_still_judges_the_workspace(tmp_path: Path) -> None:
    doc = estate()
    ws = workspace(doc)
    ws["type"] = "Microsoft.MachineLearningServices/workspaces "
    ws["properties"]["publicNetworkAccess"] = "Enabled"
    code, out = check_json(write(tmp_path, doc))
    assert code == EXIT_FINDINGS and statuses(out, "AMLG-101") == {"fail"}


# ------------------------------------------------------------------ 4: conflicting duplicates


def test_4_one_id_twice_with_different_content_names_both_positions(tmp_path: Path) -> None:
    doc = estate()
    twin = copy.deepcopy(workspace(doc))
    twin["properties"]["publicNetworkAccess"] = "Enabled"
    twin["id"] = twin["id"].upper()  # ids compare case-insensitively
    first = doc["data"].index(workspace(doc))
    doc["data"].append(twin)
    result = run("check", "--snapshot", write(tmp_path, doc))
    assert result.exit_code == EXIT_USAGE
    assert f"data[{len(doc['data']) - 1}]" in result.stderr and f"data[{first}]" in result.stderr


def test_4_an_identical_repeat_is_fine_and_a_later_file_still_wins(tmp_path: Path) -> None:
    doc = estate()
    doc["data"].append(copy.deepcopy(workspace(doc)))
    patch = copy.deepcopy(workspace(doc))
    patch["properties"]["publicNetworkAccess"] = "Enabled"
    code, out = check_json(write(tmp_path, doc), "--snapshot", write(tmp_path, [patch], "p.json"))
    assert code == EXIT_FINDINGS and statuses(out, "AMLG-101") == {"fail"}


@pytest.mark.parametrize("second", ['"publicNetworkAccess"', '"publicNetworkAccess"\t '])
def test_4_duplicate_keys_in_one_object_are_an_error_with_both_positions(
    tmp_path: Path, second: str
) -> None:
    text = json.dumps(estate(), indent=1)
    needle = '"publicNetworkAccess": "Disabled"'
    assert needle in text
    text = text.replace(needle, f'"publicNetworkAccess": "Enabled",\n{second}: "Disabled"', 1)
    result = run("check", "--snapshot", write(tmp_path, text))
    assert result.exit_code == EXIT_USAGE
    line = text[: text.index(f"\n{second}:")].count("\n") + 2
    assert f"estate.json:{line}:1:" in result.stderr
    assert f"first at {line - 1}:" in result.stderr


# ------------------------------------------------------------------ 5: truncation markers


@pytest.mark.parametrize(
    "marker",
    [
        {"totalRecords": "400"},
        {"totalRecords": 400.0},
        {"totalRecords": "many"},
        {"count": 400},
        {"SkipToken": "abc"},
        {"skiptoken": "abc"},
        {"NextLink": "https://next"},
        {"resultTruncated": "True"},
    ],
)
def test_5_truncation_markers_in_any_spelling_are_a_gap(
    tmp_path: Path, marker: dict[str, Any]
) -> None:
    doc = estate()
    doc.pop("count", None)
    doc.update(marker)
    result = run("check", "--snapshot", write(tmp_path, doc))
    assert result.exit_code == EXIT_INCOMPLETE, result.output


def test_5_a_matching_total_is_complete(tmp_path: Path) -> None:
    doc = estate()
    doc["totalRecords"] = f"{len(doc['data'])}"
    assert run("check", "--snapshot", write(tmp_path, doc)).exit_code == EXIT_OK


# ------------------------------------------------------------------ 6: history prune


def _history(tmp_path: Path, times: list[str], scope: str = "s") -> Path:
    db = tmp_path / "h.db"
    for when in times:
        doc = estate()
        snap = write(tmp_path, doc, f"e-{when[:10]}.json")
        result = run("check", "--snapshot", snap, "--history", str(db), "--history-scope", scope)
        assert result.exit_code == EXIT_OK, result.output
        conn = sqlite3.connect(db)
        conn.execute(
            "UPDATE scans SET scan_time = ? WHERE id = (SELECT MAX(id) FROM scans)", (when,)
        )
        conn.commit()
        conn.close()
    return db


@pytest.mark.parametrize("bad", ["20260101", "2026-W01-1", "2026-02-30", "soon", "2026-1-1"])
def test_6_prune_refuses_dates_that_are_not_strict_iso(tmp_path: Path, bad: str) -> None:
    db = _history(tmp_path, ["2025-06-01T00:00:00Z", "2026-06-01T00:00:00Z"])
    result = run("history", "prune", "--history", str(db), "--before", bad)
    assert result.exit_code == EXIT_USAGE and "not an ISO date" in result.stderr
    assert len(run("history", "list", "--history", str(db), "--format", "json").stdout) > 10
    assert _count(db) == 2


def _count(db: Path) -> int:
    return int(sqlite3.connect(db).execute("SELECT COUNT(*) FROM scans").fetchone()[0])


def test_6_prune_compares_instants_and_keeps_the_latest_unless_all(tmp_path: Path) -> None:
    db = _history(
        tmp_path, ["2025-12-31T23:30:00-02:00", "2026-01-01T00:30:00+02:00", "2026-03-01T00:00:00Z"]
    )
    # 2025-12-31T23:30-02:00 is 2026-01-01T01:30Z: after midnight UTC, so it stays.
    dry = run(
        "history", "prune", "--history", str(db), "--before", "2026-01-01T01:00:00Z", "--dry-run"
    )
    assert dry.exit_code == EXIT_OK and "Would delete 1 scan(s)" in dry.stdout and _count(db) == 3
    assert run("history", "prune", "--history", str(db), "--before", "2099-01-01").exit_code == 0
    assert _count(db) == 1  # the latest of the scope stays
    assert (
        run("history", "prune", "--history", str(db), "--before", "2099-01-01", "--all").exit_code
        == 0
    )
    assert _count(db) == 0


# ------------------------------------------------------------------ 8: secrets in excerpts


def test_8_a_token_file_as_config_or_policies_is_never_echoed(tmp_path: Path) -> None:
    token = tmp_path / "token.txt"
    token.write_text(JWT + "\n", encoding="utf-8")
    for flag in ("--config", "--policies"):
        result = run("check", "--snapshot", str(COMPLIANT), flag, str(token))
        assert result.exit_code == EXIT_USAGE
        assert JWT[:20] not in result.output and JWT[-20:] not in result.output
        assert "token.txt" in result.stderr


def test_8_excerpts_are_short_single_lines() -> None:
    from amlguard.excerpt import excerpt

    assert len(excerpt("x\n" * 500)) <= 60 and "\n" not in excerpt("a\nb")
    assert "<redacted>" in excerpt("key=" + "A" * 40) and "deadbeef" * 5 not in excerpt(
        "deadbeef" * 5
    )


# ------------------------------------------------------------------ 10: YAML aliases

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_10_an_alias_bomb_in_a_rule_file_is_refused_at_its_position(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE and "bomb.yaml:2:" in result.stderr
    assert "alias" in result.stderr and time.monotonic() - started < 10


@pytest.mark.parametrize("text", [BOMB, "a: &a [*a]\n", "base: &b {x: 1}\nother:\n  <<: *b\n"])
def test_10_aliases_in_the_working_directory_config_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    (tmp_path / "amlguard.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("check", "--snapshot", str(COMPLIANT))
    assert result.exit_code == EXIT_USAGE and "amlguard.yaml:" in result.stderr


# ------------------------------------------------------------------ 11: evaluation bounds


def _rule(condition: str, target: str = "workspace", rule_id: str = "ACME-901") -> str:
    return (
        "apiVersion: amlguard/v1\nkind: Rules\nrules:\n"
        f"  - id: {rule_id}\n    name: hostile\n    severity: low\n    title: t\n"
        f"    description: d\n    target: {target}\n    {condition}\n"
        "    message: m\n    remediation: {summary: s}\n"
    )


def test_11_like_is_linear_on_a_pathological_pattern(tmp_path: Path) -> None:
    doc = estate()
    workspace(doc)["properties"]["friendlyName"] = "a" * 4000
    pattern = "*a" * 40 + "*b"
    (tmp_path / "r.yaml").write_text(
        _rule(f"condition: {{field: properties.friendlyName, notLike: '{pattern}'}}"),
        encoding="utf-8",
    )
    started = time.monotonic()
    code, out = check_json(write(tmp_path, doc), "--policies", str(tmp_path), "--rule", "ACME-901")
    assert code == EXIT_OK and statuses(out, "ACME-901") == {"pass"}
    assert time.monotonic() - started < 20


def test_11_a_count_over_the_current_item_itself_is_no_crash(tmp_path: Path) -> None:
    doc = estate()
    workspace(doc)["properties"]["items"] = [1, [2, 3]]
    where = "{value: 1, equals: 1}"
    for _ in range(2):
        where = f"{{count: {{field: 'properties.items[*]', where: {where}}}, greater: -1}}"
    (tmp_path / "r.yaml").write_text(_rule(f"condition: {where}"), encoding="utf-8")
    code, out = check_json(write(tmp_path, doc), "--policies", str(tmp_path), "--rule", "ACME-901")
    assert code == EXIT_OK and statuses(out, "ACME-901") == {"pass"}


def test_11_nested_counts_past_the_work_bound_are_an_error_finding(tmp_path: Path) -> None:
    doc = estate()
    where = "{value: 1, equals: 1}"
    for name in "abc":
        workspace(doc)["properties"][name] = list(range(120))
        where = f"{{count: {{field: 'properties.{name}[*]', where: {where}}}, greater: -1}}"
    (tmp_path / "r.yaml").write_text(_rule(f"condition: {where}"), encoding="utf-8")
    started = time.monotonic()
    code, out = check_json(write(tmp_path, doc), "--policies", str(tmp_path), "--rule", "ACME-901")
    assert code == EXIT_INCOMPLETE
    (finding,) = [f for f in out["findings"] if f["rule_id"] == "ACME-901"]
    assert finding["status"] == "error" and "work bound" in finding["message"]
    assert time.monotonic() - started < 30


# ------------------------------------------------------------------ 12: input errors, not exit 4


@pytest.mark.parametrize("fmt", ["html", "json", "console", "markdown", "sarif", "junit"])
@pytest.mark.parametrize("where", ["properties", "managedNetwork"])
def test_12_an_object_that_is_not_an_object_is_an_input_error(
    tmp_path: Path, fmt: str, where: str
) -> None:
    doc = estate()
    if where == "properties":
        workspace(doc)["properties"] = "oops"
    else:
        workspace(doc)["properties"]["managedNetwork"] = ["oops"]
    result = run("check", "--snapshot", write(tmp_path, doc), "--format", fmt)
    assert result.exit_code == EXIT_USAGE and "must be an object, found" in result.stderr


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: workspace(d).update(name=7), None),
        (lambda d: d.update(amlguard_snapshot={"gaps": "none"}), "must be an array"),
        (lambda d: d.update(amlguard_snapshot={"gaps": [3]}), "gaps[0]"),
        (lambda d: d.update(amlguard_snapshot="v1"), "must be an object"),
        (lambda d: d.update(value=[]), "both a 'data' and a 'value'"),
    ],
    ids=["odd-name", "gaps-string", "gap-number", "header-string", "data-and-value"],
)
def test_12_odd_headers_and_shapes(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], fragment: str | None
) -> None:
    doc = estate()
    mutate(doc)
    result = run("check", "--snapshot", write(tmp_path, doc))
    if fragment is None:
        assert result.exit_code in (EXIT_OK, EXIT_FINDINGS)
    else:
        assert result.exit_code == EXIT_USAGE and fragment in result.stderr


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1" * 5000, "digits"),
        ('"\\ud800"', "surrogate"),
        ('"\\udc00x"', "surrogate"),
        ("1e999", "range of a double"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "Infinity"),
    ],
)
def test_12_13_numbers_and_strings_json_cannot_carry_are_refused_at_their_position(
    tmp_path: Path, raw: str, fragment: str
) -> None:
    text = json.dumps(estate(), indent=1).replace(
        '"friendlyName": ', f'"friendlyName": {raw}, "x": ', 1
    )
    result = run("check", "--snapshot", write(tmp_path, text))
    line = text[: text.index('"friendlyName"')].count("\n") + 1
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"estate.json:{line}:" in result.stderr and fragment in result.stderr


def test_12_a_valid_surrogate_pair_is_text(tmp_path: Path) -> None:
    text = json.dumps(estate()).replace('"friendlyName": "', '"friendlyName": "\\ud83d\\ude00', 1)
    assert run("check", "--snapshot", write(tmp_path, text)).exit_code == EXIT_OK


@pytest.mark.parametrize("depth", [40, 400])
def test_12_deep_expressions_and_conditions_are_load_errors(tmp_path: Path, depth: int) -> None:
    expr = "[" + "length(" * depth + "field('name')" + ")" * depth + "]"
    cond = "{not: " * depth + "{field: name, exists: true}" + "}" * depth
    for i, text in enumerate((f'condition: {{value: "{expr}", greater: 0}}', f"condition: {cond}")):
        (tmp_path / f"r{i}.yaml").write_text(_rule(text, rule_id=f"ACME-90{i}"), encoding="utf-8")
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert "r0.yaml:" in result.stderr and "r1.yaml:" in result.stderr


def test_12_a_deep_baseline_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    result = run("check", "--snapshot", str(COMPLIANT), "--baseline", str(path))
    assert result.exit_code == EXIT_USAGE and "b.json:" in result.stderr


@pytest.mark.parametrize("value", [10**400, -(10**400), 1.7e308])
@pytest.mark.parametrize("op", ["greater", "lessOrEquals"])
def test_12_numbers_beyond_float_range_compare(tmp_path: Path, value: int, op: str) -> None:
    doc = estate()
    workspace(doc)["properties"]["big"] = value
    (tmp_path / "r.yaml").write_text(
        _rule(f"condition: {{field: properties.big, {op}: 1}}"), encoding="utf-8"
    )
    code, out = check_json(write(tmp_path, doc), "--policies", str(tmp_path), "--rule", "ACME-901")
    assert code in (EXIT_OK, EXIT_FINDINGS)
    assert statuses(out, "ACME-901") == {"pass" if (value > 1) == (op == "greater") else "fail"}


@pytest.mark.parametrize(
    "args",
    [
        ["history", "show", "99999999999999999999"],
        ["history", "show", "9" * 400],
        ["history", "show", "latest~99999999999999999999"],
        ["diff", "--to", "latest~99999999999999999999"],
        ["diff", "--from", "99999999999999999999"],
    ],
)
def test_12_history_refs_beyond_any_id_are_no_such_scan(tmp_path: Path, args: list[str]) -> None:
    db = _history(tmp_path, ["2026-01-01T00:00:00Z"])
    result = run(*args, "--history", str(db))
    assert result.exit_code == EXIT_USAGE and "no scan" in result.stderr


def test_12_a_huge_list_limit_lists_everything(tmp_path: Path) -> None:
    db = _history(tmp_path, ["2026-01-01T00:00:00Z"])
    result = run("history", "list", "--limit", "9" * 30, "--history", str(db), "--format", "json")
    assert result.exit_code == EXIT_OK and len(json.loads(result.stdout)) == 1


# ------------------------------------------------------------------ 14: bombs and non-files


def test_14_a_gzip_bomb_is_refused_within_the_bound(tmp_path: Path) -> None:
    import zlib

    engine = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    data = engine.compress(b"[") + b"".join(engine.compress(chunk) for _ in range(100))
    data += engine.compress(b"]") + engine.flush()
    path = tmp_path / "bomb.json"  # gzip is detected by content, not by name
    path.write_bytes(data)
    assert len(data) < 1 << 20
    result = run("check", "--snapshot", str(path))
    assert result.exit_code == EXIT_USAGE and "decompression bomb" in result.stderr


def test_14_a_small_gzip_snapshot_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "e.json.gz"
    path.write_bytes(gzip.compress(COMPLIANT.read_bytes()) * 1)
    assert run("check", "--snapshot", str(path)).exit_code == EXIT_OK


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_14_fifos_and_devices_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    rules = tmp_path / "rules"
    rules.mkdir()
    os.mkfifo(rules / "x.yaml")
    for args in (
        ["--snapshot", str(fifo)],
        ["--snapshot", "/dev/zero"],
        ["--snapshot", str(COMPLIANT), "--policies", str(rules)],
        ["--snapshot", str(COMPLIANT), "--baseline", str(fifo)],
        ["--snapshot", str(COMPLIANT), "--config", str(fifo)],
    ):
        result = run("check", *args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert "not a regular file" in result.stderr or "device" in result.stderr


# ------------------------------------------------------------------ minor items


def test_minor_baselines_accept_a_bom_and_name_a_wrong_codec(tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    assert run("baseline", "create", "--snapshot", str(COMPLIANT), "-o", str(base)).exit_code == 0
    text = base.read_text(encoding="utf-8")
    base.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert run("check", "--snapshot", str(COMPLIANT), "--baseline", str(base)).exit_code == 0
    base.write_bytes(
        text.replace(
            "[]", '[{"rule_id": "AMLG-101", "resource_id": "\xe9", "instance": "x"}]'
        ).encode("latin-1")
    )
    result = run("check", "--snapshot", str(COMPLIANT), "--baseline", str(base))
    assert (
        result.exit_code == EXIT_USAGE
        and "not UTF-8" in result.stderr
        and "b.json" in result.stderr
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("condition: {field: name, exists: true}\n    x: 1", None),
        (
            "parameters: {n: {type: integer, default: 'three', description: d}}\n"
            "    condition: {field: name, exists: true}",
            "declared type integer",
        ),
        (
            "parameters: {n: {type: integer, default: true, description: d}}\n"
            "    condition: {field: name, exists: true}",
            "declared type integer",
        ),
        (
            "parameters: {n: {type: string, default: c, allowed: [a, b], description: d}}\n"
            "    condition: {field: name, exists: true}",
            "allowed values",
        ),
    ],
    ids=["unknown-key", "string-for-integer", "bool-for-integer", "not-allowed"],
)
def test_minor_parameter_defaults_of_the_wrong_type(
    tmp_path: Path, body: str, fragment: str | None
) -> None:
    (tmp_path / "r.yaml").write_text(_rule(body), encoding="utf-8")
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    if fragment:
        assert fragment in result.stderr


def test_minor_an_unknown_remediator_is_refused(tmp_path: Path) -> None:
    text = _rule("condition: {field: name, exists: true}").replace(
        "remediation: {summary: s}", "remediation: {summary: s, remediator: make-it-so}"
    )
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    result = run("policies", "validate", str(tmp_path))
    assert result.exit_code == EXIT_USAGE and "unknown remediator 'make-it-so'" in result.stderr


def test_minor_history_busy_is_exit_3(tmp_path: Path) -> None:
    from amlguard.history.store import HistoryBusyError, HistoryStore

    db = _history(tmp_path, ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"])
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with HistoryStore(db, busy_timeout=0.2) as store, pytest.raises(HistoryBusyError) as info:
            store.prune(keep=1)
        assert info.value.exit_code == EXIT_INCOMPLETE and "history busy" in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_minor_snapshot_messages_speak_json(tmp_path: Path) -> None:
    result = run("check", "--snapshot", write(tmp_path, {"data": {"a": 1}}))
    assert result.exit_code == EXIT_USAGE and "found an object" in result.stderr
    assert "dict" not in result.stderr


@pytest.mark.parametrize(
    ("rule", "resource", "expires", "fragment"),
    [
        ("'*'", "'*'", "2026-12-31", "every rule on every resource"),
        ("'*'", "'**/*'", "2026-12-31", "every rule on every resource"),
        ("AMLG-222", "'*'", "9999-12-31", "permanent"),
    ],
)
def test_minor_suppressions_that_switch_the_audit_off_are_refused(
    tmp_path: Path, rule: str, resource: str, expires: str, fragment: str
) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text(
        f"suppressions:\n  - {{rule: {rule}, resource: {resource}, reason: r, expires: {expires}}}\n",
        encoding="utf-8",
    )
    result = run("check", "--snapshot", str(COMPLIANT), "--config", str(cfg))
    assert result.exit_code == EXIT_USAGE and fragment in result.stderr


def test_minor_a_far_expiry_is_fine_with_permanent_suppressions_allowed(tmp_path: Path) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text(
        "allow_permanent_suppressions: true\n"
        "suppressions:\n  - {rule: AMLG-222, resource: '*', reason: r, expires: 9999-12-31}\n",
        encoding="utf-8",
    )
    assert run("check", "--snapshot", str(COMPLIANT), "--config", str(cfg)).exit_code == EXIT_OK


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("NotUserAssigned", "fail"),
        ("SystemAssigned", "fail"),
        ("UserAssignedX", "fail"),
        ("SystemAssigned, UserAssigned", "pass"),
        ("SystemAssigned,UserAssigned", "pass"),
        ("userassigned", "pass"),
    ],
)
def test_minor_amlg_105_reads_identity_types_as_a_set(
    tmp_path: Path, kind: str, status: str
) -> None:
    doc = estate()
    workspace(doc)["identity"]["type"] = kind
    _, out = check_json(write(tmp_path, doc))
    assert statuses(out, "AMLG-105") == {status}
