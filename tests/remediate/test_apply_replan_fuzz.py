"""Any edit of a reviewed plan (digest recomputed) is refused, or writes what the untouched plan
writes: never an extra write (redteam10b items 6 and 7).

Each example applies the edited plan through the real CLI to a fresh emulator of the drifted
estate and compares its journal of writes with the untouched plan's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.remediate.plan import document_digest
from amlguard.scanner.rules import load_pack
from tests.remediate.conftest import drifted_rows
from tests.remediate.test_apply_replan import add_cut, apply, make_plan

RULES = sorted(r.id for r in load_pack([]).rules)
RESOURCES = sorted(
    str(r["id"])
    for r in drifted_rows()
    if str(r.get("type", "")).lower().split("/")[0]
    in ("microsoft.storage", "microsoft.containerregistry", "microsoft.keyvault")
    or str(r.get("type", "")).lower() == "microsoft.machinelearningservices/workspaces"
)
PLANTED = "planted-step-"
OPERATIONS = [
    "disable-public-network-access",
    "create-role-assignment",
    "create-outbound-rule",
    "provision-managed-network",
    "create-private-endpoint",
]


def _edit(plan: dict[str, Any], kind: str, i: int, pick: int, text: str) -> None:
    """One edit of ``plan`` (index ``i`` into its actions, ``pick`` into the choices)."""
    actions = plan["actions"]
    a = actions[i % len(actions)]
    if kind == "rule":
        a["rule_ids"] = [RULES[pick % len(RULES)]]
    elif kind == "target":
        target = RESOURCES[pick % len(RESOURCES)]
        a["target"] = a["call"]["path"] = target
        for c in a["changes"]:
            c["resource_id"] = target
    elif kind == "operation":
        a["operation"] = OPERATIONS[pick % len(OPERATIONS)]
    elif kind == "body":
        a["body"].setdefault("properties", {})[text or "x"] = pick % 3 == 0 or text
    elif kind == "before":
        for c in a["changes"]:
            c["before"] = text
    elif kind == "drop":
        actions.remove(a)
        for other in actions:
            other["depends_on"] = [d for d in other["depends_on"] if d != a["id"]]
    elif kind == "duplicate":
        actions.append(dict(json.loads(json.dumps(a)), id=f"A9{pick % 100:02d}"))
    elif kind == "cut":
        add_cut(plan, RESOURCES[pick % len(RESOURCES)], RULES[pick % len(RULES)])
    elif kind == "only":
        plan.setdefault("selection", {"rules": [], "only": []})["only"] = [RULES[pick % len(RULES)]]
    elif kind == "named":
        plan.setdefault("selection", {"rules": [], "only": []})["named"] = [
            RULES[pick % len(RULES)]
        ]
    elif kind == "rules":
        plan.setdefault("selection", {"rules": [], "only": []})["rules"] = RULES[: pick % 40]
    elif kind == "params":
        a["params"][text or "ready"] = pick % 2 == 0
    elif kind == "manual" and plan["manual"]:
        plan["manual"][pick % len(plan["manual"])]["command"] = PLANTED + text
    plan["digest"] = document_digest(plan)


EDIT = st.tuples(
    st.sampled_from(
        [
            "rule",
            "target",
            "operation",
            "body",
            "before",
            "drop",
            "duplicate",
            "cut",
            "only",
            "rules",
            "named",
            "params",
            "manual",
        ]
    ),
    st.integers(0, 30),
    st.integers(0, 1000),
    st.text("abcz-_ .|$", max_size=8),
)


def _wire(writes: list[Any]) -> set[tuple[str, str, str]]:
    return {(w.method, w.path.lower(), json.dumps(w.body, sort_keys=True)) for w in writes}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_plan(tmp_path_factory.mktemp("reviewed"))


@pytest.fixture(scope="module")
def reference(
    reviewed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> set[tuple[str, str, str]]:
    """The writes of the untouched plan."""
    mp = pytest.MonkeyPatch()
    try:
        result, writes, _ = apply(tmp_path_factory.mktemp("ref"), mp, reviewed, "--yes")
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return _wire(writes)


@settings(
    derandomize=True,
    max_examples=14,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(EDIT, min_size=1, max_size=3))
def test_an_edited_plan_is_refused_or_writes_nothing_extra(
    tmp_path_factory: pytest.TempPathFactory,
    reviewed: dict[str, Any],
    reference: set[tuple[str, str, str]],
    edits: list[tuple[str, int, int, str]],
) -> None:
    plan = json.loads(json.dumps(reviewed))
    for kind, i, pick, text in edits:
        _edit(plan, kind, i, pick, text)
    mp = pytest.MonkeyPatch()
    try:
        result, writes, _ = apply(tmp_path_factory.mktemp("edit"), mp, plan, "--yes")
    finally:
        mp.undo()
    assert "Traceback" not in result.output and result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert writes == [], result.output
    assert _wire(writes) <= reference, (edits, result.output)
    assert PLANTED not in result.output, edits
