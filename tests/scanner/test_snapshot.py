"""The snapshot source: every accepted shape, gzip, several files, and every bad file."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE, EXIT_USAGE, InputError
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Status
from amlguard.scanner.sources.interface import Needs
from amlguard.scanner.sources.snapshot import (
    SnapshotSource,
    load_snapshot,
    read_snapshot,
    write_snapshot,
)
from amlguard.settings import CheckSettings, Outputs, OutputTarget
from tests.builders import blueprint
from tests.conftest import FIXTURES

Rows = list[dict[str, Any]]
NEEDS = Needs(types=())


def _rows() -> Rows:
    return blueprint().rows()


def _ids(rows: Rows) -> list[str]:
    return [r["id"] for r in rows]


def _table(rows: Rows) -> dict[str, Any]:
    columns = sorted({k for r in rows for k in r})
    return {
        "totalRecords": len(rows),
        "count": len(rows),
        "resultTruncated": "false",
        "facets": [],
        "data": {
            "columns": [{"name": c, "type": "object"} for c in columns],
            "rows": [[r.get(c) for c in columns] for r in rows],
        },
    }


SHAPES: dict[str, Callable[[Rows], str]] = {
    "array": lambda rows: json.dumps(rows, indent=2),
    "az-graph-data": lambda rows: json.dumps(
        {"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}
    ),
    "arm-list-value": lambda rows: json.dumps({"value": rows}),
    "json-lines": lambda rows: "\n".join(json.dumps(r) for r in rows) + "\n",
    # Raw UTF-8: U+2028 and friends appear unescaped inside strings.
    "json-lines-utf8": lambda rows: "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
    "graph-table": lambda rows: json.dumps(_table(rows)),
}


def _write(path: Path, text: str | bytes, gz: bool = False) -> Path:
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _check(*paths: Path) -> app.CheckOutcome:
    settings = CheckSettings(
        snapshots=paths, outputs=Outputs("json", (OutputTarget("json", None),))
    )
    return app.run_check(settings)


def _status(outcome: app.CheckOutcome, rule_id: str) -> set[Status]:
    return {f.status for f in outcome.result.findings if f.rule_id == rule_id}


# ------------------------------------------------------------------ accepted shapes


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_loads_the_same_rows(tmp_path: Path, shape: str, gz: bool) -> None:
    rows = _rows()
    # The name says nothing about the content: gzip is detected by its magic bytes.
    path = _write(tmp_path / "estate.snapshot", SHAPES[shape](rows), gz)
    got, header = read_snapshot(path)
    assert _ids(got) == _ids(rows)
    assert header == {}
    by_id = {r["id"]: r for r in got}
    assert by_id[rows[0]["id"]]["properties"] == rows[0]["properties"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_scans_a_compliant_blueprint_clean(tmp_path: Path, shape: str) -> None:
    path = _write(tmp_path / f"estate-{shape}.json.gz", SHAPES[shape](_rows()), gz=True)
    outcome = _check(path)
    statuses = {f.status for f in outcome.result.findings}
    assert statuses == {Status.PASS}
    assert outcome.exit_code == 0
    assert outcome.result.source.stats == {"files": 1, "rows": len(_rows())}


def _arm_type(resource_id: str) -> str:
    """The type in ARM's own casing (``Microsoft.Storage/storageAccounts``), from the id."""
    parts = resource_id.strip("/").split("/")
    i = len(parts) - 1 - [p.lower() for p in parts][::-1].index("providers")
    tail = parts[i + 1 :]
    return "/".join([tail[0], *tail[1::2]])


def _arm_body(row: dict[str, Any]) -> dict[str, Any]:
    """A Resource Graph row as ARM GET returns it: no resourceGroup/subscriptionId/tenantId."""
    body = {k: v for k, v in row.items() if k not in ("resourceGroup", "subscriptionId")}
    body["type"] = _arm_type(row["id"])
    return body


def test_single_arm_get_body_derives_group_and_subscription_from_id(tmp_path: Path) -> None:
    inst = blueprint(sub="11111111-2222-3333-4444-555555555555", rg="My-RG")
    path = _write(tmp_path / "ws.json", json.dumps(_arm_body(inst.workspace)))
    rows, _ = read_snapshot(path)
    assert _ids(rows) == [inst.workspace["id"]]
    row = Inventory(rows).get(inst.workspace["id"].upper())
    assert row is not None
    assert row["subscriptionId"] == "11111111-2222-3333-4444-555555555555"
    assert row["resourceGroup"] == "my-rg"
    assert row["type"] == "microsoft.machinelearningservices/workspaces"


def test_real_workspace_get_body_is_a_row(tmp_path: Path) -> None:
    fixture = FIXTURES / "machinelearningservices/2024-10-01-preview/Workspace/get.json"
    body = json.loads(fixture.read_text(encoding="utf-8"))["responses"]["200"]["body"]
    rows, _ = read_snapshot(_write(tmp_path / "get.json", json.dumps(body)))
    row = Inventory(rows).get(body["id"])
    assert row is not None
    assert row["subscriptionId"] == "00000000-1111-2222-3333-444444444444"
    assert row["resourceGroup"] == "workspace-1234"


def test_blueprint_as_one_arm_body_per_file_scans_like_graph_rows(tmp_path: Path) -> None:
    rows = _rows()
    files = [
        _write(tmp_path / f"r{i:03}.json", json.dumps(_arm_body(r))) for i, r in enumerate(rows)
    ]
    as_bodies = _check(*files)
    as_rows = _check(_write(tmp_path / "all.json", json.dumps(rows)))
    assert {f.status for f in as_bodies.result.findings} == {Status.PASS}
    assert len(as_bodies.result.findings) == len(as_rows.result.findings)


def test_write_snapshot_round_trips_rows_and_header(tmp_path: Path) -> None:
    rows = _rows()
    header = {"tool": "amlguard", "scopes": ["/subscriptions/x"], "gaps": []}
    for name in ("snap.json", "snap.json.gz"):
        path = tmp_path / name
        write_snapshot(path, rows, header)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
        got, got_header = read_snapshot(path)
        assert got == rows
        assert got_header == header


def test_header_gaps_make_the_scan_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    write_snapshot(path, _rows(), {"gaps": [{"reason": "403 on subscription x", "scope": ""}]})
    outcome = _check(path)
    assert not outcome.result.source.complete
    assert outcome.exit_code == EXIT_INCOMPLETE
    assert {f.status for f in outcome.result.findings} == {Status.ERROR}


def test_json_lines_with_header_line_and_blank_lines(tmp_path: Path) -> None:
    rows = _rows()
    lines = [json.dumps({"amlguard_snapshot": {"tool": "amlguard"}}), ""]
    lines += [json.dumps(r) for r in rows]
    path = _write(tmp_path / "snap.jsonl", "\r\n".join(lines) + "\r\n")
    got, header = read_snapshot(path)
    assert _ids(got) == _ids(rows)
    assert header == {"tool": "amlguard"}


def test_json_lines_keep_line_separator_characters_inside_strings(tmp_path: Path) -> None:
    rows = _rows()[:2]
    rows[0] = {**rows[0], "tags": {"note": "first\u2028second\u0085third"}}
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    got, _ = read_snapshot(_write(tmp_path / "snap.jsonl", text))
    assert got[0]["tags"]["note"] == "first\u2028second\u0085third"
    assert len(got) == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_are_accepted(tmp_path: Path, encoding: str) -> None:
    # utf-16 with a BOM is what Windows PowerShell 5 writes for `az graph query ... > file`.
    rows = _rows()
    path = _write(tmp_path / "snap.json", json.dumps({"data": rows}).encode(encoding))
    got, _ = read_snapshot(path)
    assert _ids(got) == _ids(rows)


def test_later_snapshot_wins_on_overlapping_ids(tmp_path: Path) -> None:
    inst = blueprint()
    base = _write(tmp_path / "base.json", json.dumps(inst.rows()))
    opened = json.loads(json.dumps(inst.workspace))
    opened["properties"]["publicNetworkAccess"] = "Enabled"
    opened["id"] = opened["id"].upper()  # ids compare case-insensitively across files
    patch = _write(tmp_path / "patch.jsonl", json.dumps(opened) + "\n" + json.dumps(inst.vnet))
    assert _status(_check(base, patch), "AMLG-101") == {Status.FAIL}
    assert _status(_check(patch, base), "AMLG-101") == {Status.PASS}
    collected = SnapshotSource([base, patch]).collect(NEEDS)
    assert collected.info.stats == {"files": 2, "rows": len(inst.rows()) + 2}
    assert collected.info.description == f"{base}, {patch}"


# ------------------------------------------------------------------ truncated results


def test_truncated_resource_graph_page_is_a_gap(tmp_path: Path) -> None:
    fixture = FIXTURES / "resourcegraph/2024-04-01/ResourcesFirstPageQuery.json"
    body = json.loads(fixture.read_text(encoding="utf-8"))["responses"]["200"]["body"]
    snap = load_snapshot(_write(tmp_path / "page1.json", json.dumps(body)))
    assert len(snap.rows) == 3
    assert len(snap.gaps) == 1
    assert "page1.json" in snap.gaps[0].reason and "$skipToken" in snap.gaps[0].reason


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"nextLink": "https://management.azure.com/...&$skiptoken=abc"}, "nextLink"),
        ({"skip_token": "abc"}, "skip_token"),
        ({"resultTruncated": "true"}, "resultTruncated"),
        ({"total_records": 10_000}, "total_records"),
    ],
)
def test_truncation_markers_fail_closed(tmp_path: Path, extra: dict[str, Any], why: str) -> None:
    key = "value" if "nextLink" in extra else "data"
    path = _write(tmp_path / "part.json", json.dumps({key: _rows(), **extra}))
    outcome = _check(path)
    assert outcome.exit_code == EXIT_INCOMPLETE
    assert why in outcome.result.source.gaps[0].reason
    assert {f.status for f in outcome.result.findings} == {Status.ERROR}


def test_complete_result_with_counts_is_not_a_gap(tmp_path: Path) -> None:
    rows = _rows()
    doc = {"totalRecords": len(rows), "count": len(rows), "resultTruncated": "false", "data": rows}
    assert load_snapshot(_write(tmp_path / "all.json", json.dumps(doc))).gaps == []


# ------------------------------------------------------------------ bad files


def _row() -> dict[str, Any]:
    return _rows()[0]


def _no_id() -> dict[str, Any]:
    return {k: v for k, v in _row().items() if k != "id"}


def _gz() -> bytes:
    return gzip.compress(json.dumps([_row()]).encode())


def _lines(*docs: Any) -> str:
    return "\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs) + "\n"


# name -> (make the bad file in a tmp dir, a fragment the message must hold besides the path)
BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda t: t / "nope.json", "not found"),
    "directory": (lambda t: t, "is a directory"),
    "empty": (lambda t: _write(t / "empty.json", ""), "empty"),
    "blank": (lambda t: _write(t / "blank.json", "  \n\n"), "empty"),
    "empty-gzip": (lambda t: _write(t / "empty.json.gz", "", gz=True), "empty"),
    "invalid-json": (
        lambda t: _write(t / "bad.json", '{\n  "data": [\n    {"id": x}\n  ]\n}'),
        ":3:12: invalid JSON",
    ),
    "trailing-comma": (lambda t: _write(t / "comma.json", '[\n  {"id": "/a"},\n]\n'), ":3:1:"),
    "bad-json-line": (
        lambda t: _write(t / "bad.jsonl", _lines(_row(), _row(), "{oops")),
        ":3:2: invalid JSON Lines record",
    ),
    "scalar": (lambda t: _write(t / "scalar.json", "42"), "not a snapshot"),
    "object-without-rows": (lambda t: _write(t / "obj.json", '{"hello": 1}'), "not a snapshot"),
    "data-not-array": (
        lambda t: _write(t / "data.json", '{"data": "x"}'),
        "'data' must be an array",
    ),
    "row-not-object": (
        lambda t: _write(t / "notobj.json", json.dumps({"data": [_row(), "oops"]})),
        "data[1]: a row must be a JSON object",
    ),
    "jsonl-row-not-object": (
        lambda t: _write(t / "notobj.jsonl", _lines(_row(), _row(), "7")),
        ":3:1: a row must be a JSON object",
    ),
    "row-without-id": (
        lambda t: _write(t / "noid.json", json.dumps([_row(), _no_id()])),
        f"[1]: row has no 'id' (name {_row()['name']!r})",
    ),
    "jsonl-row-without-id": (
        lambda t: _write(t / "noid.jsonl", _lines(_row(), _no_id())),
        ":2:1: row has no 'id'",
    ),
    "row-with-blank-id": (lambda t: _write(t / "blankid.json", '[{"id": " "}]'), "has no 'id'"),
    "bad-table": (
        lambda t: _write(
            t / "table.json", '{"data": {"columns": [{"name": "id"}], "rows": [[1, 2]]}}'
        ),
        "malformed Resource Graph table",
    ),
    "corrupt-gzip": (
        lambda t: _write(t / "corrupt.gz", _gz()[:12] + b"\0" * 16 + _gz()[28:]),
        "corrupt gzip",
    ),
    "truncated-gzip": (lambda t: _write(t / "short.gz", _gz()[:-6]), "corrupt gzip"),
    "not-utf8": (
        lambda t: _write(t / "latin1.json", '[{"id": "/caf\xe9"}]'.encode("latin-1")),
        "not UTF-8",
    ),
    "deeply-nested": (
        lambda t: _write(t / "deep.json", "[" * 100_000 + "]" * 100_000),
        "nested too deeply",
    ),
}
BAD_NAMES = sorted(BAD)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_file_is_an_input_error_naming_it(tmp_path: Path, name: str) -> None:
    make, fragment = BAD[name]
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        load_snapshot(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert fragment in message, message


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_file_exits_2_through_the_cli_without_traceback(tmp_path: Path, name: str) -> None:
    make, fragment = BAD[name]
    path = make(tmp_path)
    good = _write(tmp_path / "good.json", json.dumps(_rows()))
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(good), "--snapshot", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"amlguard: {path}")
    assert fragment in result.stderr
    assert result.stdout == ""


def test_invalid_json_position_is_exact(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", '[\n  {"id": "/a"},\n  {"id": "/b" "name": "x"}\n]')
    with pytest.raises(InputError, match=r"bad\.json:3:15: invalid JSON: Expecting ','"):
        load_snapshot(path)


def test_no_snapshot_path_is_an_input_error() -> None:
    with pytest.raises(InputError):
        SnapshotSource([])


# ------------------------------------------------------------------ property: any rows survive


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_rows_strategy = st.lists(
    st.fixed_dictionaries(
        {"id": _text.map(lambda s: "/subscriptions/s/" + s)},
        optional={"name": _text, "properties": st.dictionaries(_text, _json, max_size=3)},
    ),
    min_size=2,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows_strategy, shape=st.sampled_from(sorted(SHAPES)), gz=st.booleans())
def test_any_rows_survive_every_shape(tmp_path: Path, rows: Rows, shape: str, gz: bool) -> None:
    path = _write(tmp_path / "prop.snapshot", SHAPES[shape](rows), gz)
    got, _ = read_snapshot(path)
    if shape == "graph-table":  # a table has every column in every row, null where absent
        rows = [{k: r.get(k) for k in {k for row in rows for k in row}} for r in rows]
    assert got == rows
