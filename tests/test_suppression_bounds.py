"""A suppression is bounded on one axis (one rule, or one subscription and resource group), or
it is refused: the audit cannot be switched off by a wildcard on both axes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_USAGE
from amlguard.suppressions import (
    _glob,
    bounded_problem,
    pinned_group,
    rule_is_wildcard,
)
from tests.conftest import EXAMPLES

DRIFTED = str(EXAMPLES / "drifted.json")
SUB = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
RG = "ml-secure-blueprint"


def _check(tmp_path: Path, rule: str, resource: str) -> tuple[Result, Path]:
    path = tmp_path / "amlguard.yaml"
    path.write_text(
        "suppressions:\n"
        "  - rule: AMLG-101\n"
        "    resource: /subscriptions/x/resourceGroups/y/z\n"
        "    reason: a harmless first entry\n"
        "    expires: 2099-12-31\n"
        f"  - rule: {json.dumps(rule)}\n"
        f"    resource: {json.dumps(resource)}\n"
        "    reason: accepted risk (CHG-1)\n"
        "    expires: 2099-12-31\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", DRIFTED, "--config", str(path), "--format", "json"]
    )
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    return res, path


@pytest.mark.parametrize(
    ("rule", "resource"),
    [
        ("AMLG-*", "*"),
        ("*", "/subscriptions/*"),
        ("*", "*"),
        ("amlg-*", "/*"),
        ("AMLG-1??", "*"),
        ("*", f"/subscriptions/{SUB}/*"),
        ("*", f"/subscriptions/{SUB}"),
        ("*", f"/subscriptions/{SUB}/resourceGroups/*"),
        ("*", f"/subscriptions/{SUB}/resourceGroups/ml-*"),
        ("*", f"/subscriptions/{SUB}/resourceGroups/ml-secure-blueprin?/*"),
        ("*", f"/subscriptions/*/resourceGroups/{RG}/*"),
        ("*", f"/subscriptions/{SUB}*/resourceGroups/{RG}/*"),
        ("AMLG-1*", f"*/resourceGroups/{RG}/*"),
        ("*", f"subscriptions/{SUB}/resourceGroups/{RG}/*"),
        ("*", f"/*/{SUB}/resourceGroups/{RG}/*"),
        ("*", f"/subscriptions//resourceGroups/{RG}/*"),
    ],
)
def test_a_suppression_unbounded_on_both_axes_is_refused(
    tmp_path: Path, rule: str, resource: str
) -> None:
    res, path = _check(tmp_path, rule, resource)
    assert res.exit_code == EXIT_USAGE, res.output
    assert f"{path}:6:" in res.stderr  # the second entry, by file and line
    assert "pin one subscription and resource group" in res.stderr


@pytest.mark.parametrize(
    ("rule", "resource"),
    [
        ("AMLG-222", "*"),
        ("amlg-222", "/subscriptions/*"),
        ("*", f"/subscriptions/{SUB}/resourceGroups/{RG}/*"),
        ("AMLG-*", f"/SUBSCRIPTIONS/{SUB.upper()}/RESOURCEGROUPS/{RG.upper()}/*"),
        ("*", f"/subscriptions/{SUB}/resourceGroups/{RG}"),
    ],
)
def test_a_suppression_bounded_on_one_axis_is_accepted(
    tmp_path: Path, rule: str, resource: str
) -> None:
    res, _ = _check(tmp_path, rule, resource)
    assert res.exit_code in (0, EXIT_FINDINGS), res.output
    doc = json.loads(res.stdout)
    statuses = {f["status"] for f in doc["findings"]}
    assert "suppressed" in statuses or resource.endswith(RG)


def test_a_pinned_wildcard_suppression_silences_only_its_group(tmp_path: Path) -> None:
    res, _ = _check(tmp_path, "*", f"/subscriptions/{SUB}/resourceGroups/{RG}/*")
    doc = json.loads(res.stdout)
    suppressed = [f["resource_id"] for f in doc["findings"] if f["status"] == "suppressed"]
    prefix = f"/subscriptions/{SUB}/resourceGroups/{RG}/".lower()
    assert suppressed and all(r.lower().startswith(prefix) for r in suppressed)


# ------------------------------------------------------------------ properties

_SEG = st.text(alphabet="abcAB019-_.", min_size=1, max_size=8)


@st.composite
def _resource_id(draw: st.DrawFn) -> str:
    sub, rg, name = draw(_SEG), draw(_SEG), draw(_SEG)
    word = draw(st.sampled_from(["subscriptions", "SUBSCRIPTIONS", "Subscriptions"]))
    group = draw(st.sampled_from(["resourceGroups", "resourcegroups", "RESOURCEGROUPS"]))
    tail = draw(st.sampled_from(["", "/providers/Microsoft.Storage/storageAccounts/"]))
    return f"/{word}/{sub}/{group}/{rg}" + (tail + name if tail else "")


@st.composite
def _pattern_of(draw: st.DrawFn, rid: str) -> str:
    """A resource pattern that matches ``rid``: some spans replaced by ``*``, some characters
    by ``?``, possibly cut short with a trailing ``*``."""
    chars = list(rid)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(chars) - 1))
        chars[i] = "?"
    text = "".join(chars)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, len(text)))
        text = text[:i] + "*" + text[j:]
    return text


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, str, str]:
    rid = draw(_resource_id())
    pattern = draw(_pattern_of(rid))
    return rid, pattern, draw(_resource_id())


def _group(rid: str) -> tuple[str, str]:
    parts = rid.lower().split("/")
    return parts[2], parts[4]


@settings(derandomize=True, max_examples=600, deadline=None)
@given(case=_case())
def test_an_accepted_wildcard_suppression_stays_inside_one_group(
    case: tuple[str, str, str],
) -> None:
    rid, pattern, other = case
    assert _glob(rid.lower(), pattern.lower())  # by construction
    accepted = bounded_problem("*", pattern) is None
    assert accepted == (pinned_group(pattern) is not None)
    if accepted:
        assert pinned_group(pattern) == _group(rid)
        if _glob(other.lower(), pattern.lower()):
            assert _group(other) == _group(rid)


_RULE_PATTERNS = st.text(alphabet="AMLG-0123*?", min_size=1, max_size=10)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(rule=_RULE_PATTERNS, resource=st.text(alphabet="/*?abc", max_size=12))
def test_a_rule_without_wildcards_is_always_bounded(rule: str, resource: str) -> None:
    ids = [f"AMLG-{n}" for n in range(100, 120)]
    if "*" in rule or "?" in rule:
        assert rule_is_wildcard(rule, ids)
    else:
        assert not rule_is_wildcard(rule, ids)
        assert sum(_glob(i, rule) for i in ids) <= 1
        assert bounded_problem(rule, resource, ids) is None
    # A resource pattern of only wildcards and slashes never bounds anything.
    if resource.strip("*?/") == "" and (("*" in rule) or ("?" in rule)):
        assert bounded_problem(rule, resource, ids) is not None
