"""Fuzzing saved plans: any edit either changes nothing that is sent or is refused (exit 2).

Hypothesis mutates one value anywhere in a real ``--plan-out`` document (digest recomputed, so
only the rebuild from ARM stands between the edit and the wire) and re-derives the plan against
the estate's ARM view. Never an unexpected exception; never a request that differs from the
planner's.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import InputError
from amlguard.remediate.live import LiveView
from amlguard.remediate.plan import actions_digest, load_plan
from amlguard.remediate.verify import rebuild_plan
from amlguard.scanner import ids
from tests.conftest import EXAMPLES
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("fuzz") / "plan.json"
    CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(out)])
    return dict(json.loads(out.read_text()))


def _reader() -> Any:
    state = {ids.norm(r["id"]): r for r in drifted_rows()}

    def read(resource_id: str, api_version: str | None = None) -> dict[str, Any] | None:
        if resource_id.lower().endswith("/privatednszonegroups"):
            return {"value": []}
        return state.get(ids.norm(resource_id))

    return read


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from(
        [
            "Enabled",
            "Disabled",
            "",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "/subscriptions/x/resourceGroups/y",
            "AllowOnlyApprovedOutbound",
            "Disabled\x1b[31m",
        ]
    ),
    st.lists(st.integers(0, 1), max_size=2),
    st.dictionaries(st.sampled_from(["a", "properties"]), st.integers(0, 1), max_size=1),
)


def _requests(plan: Any) -> list[Any]:
    return [
        (a.call.method, ids.norm(a.call.path), a.call.api_version, a.body) for a in plan.actions
    ]


@settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_single_edit_is_harmless_or_refused(
    saved: dict[str, Any], tmp_path: Path, data: st.DataObject
) -> None:
    original = rebuild_plan(load_plan(_write(tmp_path, saved)), LiveView(_reader()))
    doc = copy.deepcopy(saved)
    paths = _paths(doc["actions"])
    path = data.draw(st.sampled_from(paths))
    value = data.draw(VALUES)
    node: Any = doc["actions"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    doc["digest"] = actions_digest(doc["actions"]) if isinstance(doc["actions"], list) else ""
    try:
        plan = load_plan(_write(tmp_path, doc))
        rebuilt = rebuild_plan(plan, LiveView(_reader()))
    except InputError as exc:
        assert "\x1b" not in str(exc)
        return
    assert _requests(rebuilt) == _requests(original), path


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
