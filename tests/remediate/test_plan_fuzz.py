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
from amlguard.remediate.plan import document_digest, load_plan
from amlguard.remediate.ruleparams import rule_parameters
from amlguard.remediate.verify import rebuild_plan
from amlguard.scanner import ids
from tests.conftest import EXAMPLES
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")
PARAMETERS = rule_parameters()


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
    original = rebuild_plan(load_plan(_write(tmp_path, saved)), LiveView(_reader(), PARAMETERS))
    doc = copy.deepcopy(saved)
    paths = _paths(doc["actions"])
    path = data.draw(st.sampled_from(paths))
    value = data.draw(VALUES)
    node: Any = doc["actions"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    doc["digest"] = document_digest(doc) if isinstance(doc["actions"], list) else ""
    try:
        plan = load_plan(_write(tmp_path, doc))
        rebuilt = rebuild_plan(plan, LiveView(_reader(), PARAMETERS))
    except InputError as exc:
        assert "\x1b" not in str(exc)
        return
    assert _requests(rebuilt) == _requests(original), path


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


EDIT_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    "",
    "Enabled",
    "Disabled",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "/subscriptions/x/resourceGroups/y",
    [],
    {},
]


def test_every_value_of_every_action_edited_is_harmless_or_refused(
    saved: dict[str, Any], tmp_path: Path
) -> None:
    """Exhaustive: each leaf of each action set to each of a few values (digest recomputed)."""
    original = _requests(
        rebuild_plan(load_plan(_write(tmp_path, saved)), LiveView(_reader(), PARAMETERS))
    )
    accepted = refused = 0
    for path in _paths(saved["actions"]):
        for value in EDIT_VALUES:
            doc = copy.deepcopy(saved)
            node: Any = doc["actions"]
            for key in path[:-1]:
                node = node[key]
            if node[path[-1]] == value:
                continue
            node[path[-1]] = value
            doc["digest"] = document_digest(doc)
            try:
                rebuilt = rebuild_plan(
                    load_plan(_write(tmp_path, doc)), LiveView(_reader(), PARAMETERS)
                )
            except InputError:
                refused += 1
                continue
            accepted += 1
            assert _requests(rebuilt) == original, (path, value)
    assert refused > accepted > 0  # most edits matter; some (summary, labels) do not


def test_workspace_settings_edits_are_refused(tmp_path: Path) -> None:
    """Isolation straight to the strictest (irreversible) mode, another compute: refused."""
    from amlguard.remediate.fix import prepare
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, select_rules
    from amlguard.scanner.sources.snapshot import SnapshotSource
    from tests.builders import blueprint, row

    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "Disabled"
    del inst.workspace["properties"]["imageBuildCompute"]
    compute = row(
        f"{inst.workspace['id']}/computes/cpu-compute",
        "microsoft.machinelearningservices/workspaces/computes",
    )
    rows = [*inst.rows(), compute]
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    state = {ids.norm(r["id"]): r for r in rows}
    pack = load_pack([])
    params = {"AMLG-107": {"compute_name": "cpu-compute"}}
    plan = prepare(
        SnapshotSource([snap]),
        pack,
        select_rules(pack),
        ScanOptions(parameters=params),
        [],
        lambda rid: state.get(ids.norm(rid)),
    ).plan
    doc = plan.to_dict()
    settings_ = next(a for a in doc["actions"] if a["operation"] == "update-workspace-settings")
    assert len(settings_["changes"]) == 2

    def read(rid: str, api_version: str | None = None) -> dict[str, Any] | None:
        return state.get(ids.norm(rid))

    live_params = {**rule_parameters(), "AMLG-107": {"compute_name": "cpu-compute"}}
    assert rebuild_plan(load_plan(_write(tmp_path, doc)), LiveView(read, live_params)).actions

    for path, value in (
        ("properties.managedNetwork.isolationMode", "AllowOnlyApprovedOutbound"),
        ("properties.imageBuildCompute", "someone-elses-compute"),
    ):
        edited = copy.deepcopy(doc)
        action = next(a for a in edited["actions"] if a["operation"] == "update-workspace-settings")
        for c in action["changes"]:
            if c["path"] == path:
                c["after"] = value
        edited["digest"] = document_digest(edited)
        with pytest.raises(InputError, match="not the"):
            rebuild_plan(load_plan(_write(tmp_path, edited)), LiveView(read, live_params))
