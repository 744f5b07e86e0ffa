"""A snapshot that says it is partial never passes: paging markers in every spelling, a header
that records itself incomplete or a gap without a reason, gap scopes in id form, and a header
with no rows (through the real CLI)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from amlguard.scanner.sources.snapshotgaps import gap_scope, marker_name
from tests.conftest import EXAMPLES


def _rows(name: str = "compliant.json") -> list[dict[str, Any]]:
    doc = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = doc["data"] if isinstance(doc, dict) else doc
    return rows


COMPLIANT = _rows()
LANDING = _rows("landing-zone.json")
SUB_A = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"  # one of landing-zone's three subscriptions


def _check(path: Path, *more: str) -> tuple[Result, dict[str, Any] | None]:
    res = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "--format", "json", *more])
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    try:
        doc = json.loads(res.stdout)
    except ValueError:
        doc = None
    return res, doc


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _statuses(doc: dict[str, Any]) -> Counter[str]:
    return Counter(f["status"] for f in doc["findings"])


def test_the_compliant_rows_pass_on_their_own(tmp_path: Path) -> None:
    res, doc = _check(_write(tmp_path / "s.json", {"value": COMPLIANT}))
    assert res.exit_code == EXIT_OK and doc is not None
    assert set(_statuses(doc)) == {"pass"}


# ------------------------------------------------------------------ paging markers

MARKERS = [
    "@odata.nextLink",
    "odata.nextLink",
    "@ODATA.NEXTLINK",
    "nextLink",
    "next_link",
    "NextPageLink",
    "$skipToken",
    "$SKIPTOKEN",
    "skip_token",
    "@odata.skipToken",
    "$skip-token",
    "continuationToken",
]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("wrapper", ["value", "data"])
def test_a_paging_marker_in_any_spelling_makes_the_scan_incomplete(
    tmp_path: Path, marker: str, wrapper: str
) -> None:
    path = _write(tmp_path / "s.json", {wrapper: COMPLIANT, marker: "https://x/page2"})
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE, res.output
    assert doc is not None and not doc["source"]["complete"]
    assert set(_statuses(doc)) == {"error"}
    assert any("more pages were not fetched" in g["reason"] for g in doc["source"]["gaps"])


@pytest.mark.parametrize("value", [None, "", False])
def test_an_empty_paging_marker_is_the_last_page(tmp_path: Path, value: Any) -> None:
    path = _write(tmp_path / "s.json", {"value": COMPLIANT, "@odata.nextLink": value})
    assert _check(path)[0].exit_code == EXIT_OK


def test_a_paging_marker_on_a_json_lines_record_is_seen(tmp_path: Path) -> None:
    lines = [json.dumps({"value": COMPLIANT[:5], "@odata.nextLink": "https://x"})]
    lines += [json.dumps(r) for r in COMPLIANT[5:]]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert _check(path)[0].exit_code == EXIT_INCOMPLETE


_NAMES = st.sampled_from(["nextlink", "skiptoken", "nextpagelink", "continuationtoken"])
_PREFIX = st.sampled_from(["", "$", "@", "@odata.", "odata.", "$odata.", "@OData."])


def _spell(draw: Any, word: str) -> str:
    cases = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if up else c for c, up in zip(word, cases, strict=True))


@st.composite
def _marker(draw: Any) -> str:
    word = draw(_NAMES)
    cut = draw(st.integers(0, len(word)))
    sep = draw(st.sampled_from(["", "", "_", "-"]))
    return draw(_PREFIX) + _spell(draw, word[:cut] + sep + word[cut:])


@settings(
    derandomize=True,
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(marker=_marker(), link=st.sampled_from(["https://x", "tok", 1, True, ["a"], {"a": 1}]))
def test_generated_marker_spellings_fail_closed(tmp_path: Path, marker: str, link: Any) -> None:
    path = _write(tmp_path / "s.json", {"value": COMPLIANT, marker: link})
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE, (marker, res.output)
    assert doc is not None and set(_statuses(doc)) == {"error"}


@settings(derandomize=True, max_examples=200)
@given(marker=_marker())
def test_every_generated_spelling_normalises_to_its_marker(marker: str) -> None:
    assert marker_name(marker) in ("nextlink", "skiptoken", "nextpagelink", "continuationtoken")


def test_keys_that_are_no_marker_are_ignored(tmp_path: Path) -> None:
    doc = {"value": COMPLIANT, "linked": "x", "@odata.context": "https://x/$metadata", "id2": 1}
    assert _check(_write(tmp_path / "s.json", doc))[0].exit_code == EXIT_OK


# ------------------------------------------------------------------ the header


@pytest.mark.parametrize("complete", [False, "false", "FALSE", 0, None, "no", [], {}])
def test_a_header_recording_itself_incomplete_fails_closed(tmp_path: Path, complete: Any) -> None:
    path = _write(
        tmp_path / "s.json", {"amlguard_snapshot": {"complete": complete}, "data": COMPLIANT}
    )
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE, res.output
    assert doc is not None and set(_statuses(doc)) == {"error"}
    (gap,) = doc["source"]["gaps"]
    assert "records itself as incomplete" in gap["reason"] and gap["scope"] == ""


@pytest.mark.parametrize("complete", [True, "true", " True "])
def test_a_header_recording_itself_complete_passes(tmp_path: Path, complete: Any) -> None:
    path = _write(
        tmp_path / "s.json", {"amlguard_snapshot": {"complete": complete}, "data": COMPLIANT}
    )
    assert _check(path)[0].exit_code == EXIT_OK


@pytest.mark.parametrize("reason", ["", "   ", "\t"])
@pytest.mark.parametrize("complete", [False, True])
def test_a_gap_without_a_reason_is_kept(tmp_path: Path, reason: str, complete: bool) -> None:
    header = {"complete": complete, "gaps": [{"reason": reason, "scope": ""}]}
    path = _write(tmp_path / "s.json", {"amlguard_snapshot": header, "data": COMPLIANT})
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE, res.output
    assert doc is not None and set(_statuses(doc)) == {"error"}
    (gap,) = doc["source"]["gaps"]
    assert "reason not recorded" in gap["reason"]


def test_recorded_gaps_explain_an_incomplete_header_without_widening(tmp_path: Path) -> None:
    header = {"complete": False, "gaps": [{"reason": "403", "scope": SUB_A}]}
    path = _write(tmp_path / "s.json", {"amlguard_snapshot": header, "data": LANDING})
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE
    assert doc is not None and doc["source"]["gaps"] == [{"reason": "403", "scope": SUB_A}]
    assert {"pass", "error"} <= set(_statuses(doc))


@pytest.mark.parametrize(
    "doc",
    [
        {"amlguard_snapshot": {}},
        {"amlguard_snapshot": {"complete": True, "gaps": []}},
        {"amlguard_snapshot": {"tool": "amlguard", "cloud": "AzureCloud"}},
    ],
)
def test_a_header_without_rows_is_malformed(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = _write(tmp_path / "header-only.json", doc)
    res, _out = _check(path)
    assert res.exit_code == EXIT_USAGE
    assert str(path) in res.stderr and "no 'data'" in res.stderr
    assert "PASSED" not in res.output


def test_json_lines_of_only_headers_are_malformed(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    line = json.dumps({"amlguard_snapshot": {"tool": "amlguard"}})
    path.write_text(f"{line}\n{line}\n", encoding="utf-8")
    res, _ = _check(path)
    assert res.exit_code == EXIT_USAGE and str(path) in res.stderr


def test_an_explicitly_empty_snapshot_is_still_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.json", {"amlguard_snapshot": {"complete": True}, "data": []})
    res, _ = _check(path)
    assert res.exit_code == EXIT_OK


def test_concatenated_json_lines_keep_the_first_headers_gaps(tmp_path: Path) -> None:
    first = json.dumps({"amlguard_snapshot": {"complete": False}})
    second = json.dumps({"amlguard_snapshot": {"complete": True}})
    lines = [first, *(json.dumps(r) for r in COMPLIANT[:3]), second]
    lines += [json.dumps(r) for r in COMPLIANT[3:]]
    path = tmp_path / "cat.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert _check(path)[0].exit_code == EXIT_INCOMPLETE


# ------------------------------------------------------------------ gap scopes


def _scoped(tmp_path: Path, scope: Any) -> dict[str, str]:
    header = {"gaps": [{"reason": "403 reading it", "scope": scope}]}
    path = _write(tmp_path / "lz.json", {"amlguard_snapshot": header, "data": LANDING})
    res, doc = _check(path)
    assert res.exit_code == EXIT_INCOMPLETE and doc is not None
    return {
        f"{f['rule_id']} {f['resource_id']} {f['instance']}": f["status"] for f in doc["findings"]
    }


@pytest.mark.parametrize(
    "form",
    [
        "/subscriptions/{s}",
        "/subscriptions/{s}/",
        "/SUBSCRIPTIONS/{S}",
        "/Subscriptions/{S}/",
        "  /subscriptions/{s}  ",
        "{S}",
        "/subscriptions/{s}/resourceGroups/rg-ml",
        "/subscriptions/{s}/resourcegroups/RG-ML/providers/Microsoft.Network/virtualNetworks/v",
    ],
)
def test_a_gap_scope_in_id_form_is_its_subscription(tmp_path: Path, form: str) -> None:
    bare = _scoped(tmp_path, SUB_A)
    errors = {k for k, v in bare.items() if v == "error"}
    assert errors and len(errors) < len(bare)  # the scope tells findings apart
    scope = form.replace("{s}", SUB_A).replace("{S}", SUB_A.upper())
    assert _scoped(tmp_path, scope) == bare


@pytest.mark.parametrize(
    "scope", ["/", "/providers/Microsoft.Management/managementGroups/mg1", 7, ["x"], "//"]
)
def test_a_gap_scope_naming_no_subscription_covers_everything(tmp_path: Path, scope: Any) -> None:
    got = _scoped(tmp_path, scope)
    assert set(got.values()) == {"error"}


@settings(derandomize=True, max_examples=300)
@given(
    sub=st.from_regex(r"[0-9a-fA-F-]{1,36}", fullmatch=True),
    rest=st.sampled_from(["", "/", "/resourceGroups/x", "/resourcegroups/X/providers/a/b/c"]),
    upper=st.booleans(),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_gap_scope_reads_every_id_form(sub: str, rest: str, upper: bool, pad: str) -> None:
    word = "SUBSCRIPTIONS" if upper else "subscriptions"
    assert gap_scope(f"{pad}/{word}/{sub}{rest}{pad}") == sub.lower()
    assert gap_scope(sub) == sub.lower()


@settings(derandomize=True, max_examples=300)
@given(scope=st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text())))
def test_gap_scope_never_fails_and_is_a_bare_lower_case_id_or_everything(scope: Any) -> None:
    got = gap_scope(scope)
    assert got == got.lower() and "/" not in got
