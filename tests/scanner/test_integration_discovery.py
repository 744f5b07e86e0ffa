"""Integration discovery (real-estates 4.1 E2): Dependency rules, workspace connections and the
selector's require|suggest mode."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.integration import IntegrationSelector, connection_target
from amlguard.scanner.model import Status
from tests.builders import blueprint, foundry_hub, rid, row
from tests.scanner.harness import instances, of_rule, scan


def _ais(inst, rg: str | None = None, name: str = "far-ais") -> dict[str, Any]:
    return row(
        rid(inst.sub, rg or "ai-shared", "Microsoft.CognitiveServices/accounts", name),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": name},
        kind="AIServices",
    )


def _connection(ws_id: str, name: str, **props: Any) -> dict[str, Any]:
    return row(
        f"{ws_id}/connections/{name}",
        "microsoft.machinelearningservices/workspaces/connections",
        properties={"category": "AIServices", "authType": "AAD", **props},
    )


def test_dependency_rule_destination_is_integrated() -> None:
    inst = blueprint()
    far = _ais(inst)
    inst.extra.append(far)
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["__SYS_PE_conn"] = {
        "type": "PrivateEndpoint",
        "category": "Dependency",
        "status": "Active",
        "destination": {"serviceResourceId": far["id"], "subresourceTarget": "account"},
    }
    (built,) = instances(inst.rows())
    assert far["id"] in built.integrated


@pytest.mark.parametrize("where", ["metadata", "target"])
def test_connection_target_is_integrated_and_judged(where: str) -> None:
    hub = foundry_hub()
    far = _ais(hub)
    hub.extra.append(far)
    project_id = hub.projects[1]["id"]  # a project's connection counts for its hub
    props = (
        {"metadata": {"ResourceId": far["id"]}, "target": "https://far-ais.openai.azure.com/"}
        if where == "metadata"
        else {"target": far["id"]}
    )
    hub.extra.append(_connection(project_id, "far", **props))
    (built,) = instances(hub.rows())
    assert far["id"] in built.integrated
    f = of_rule(scan(hub.rows()), "AMLG-104")[0]
    assert f.status is Status.FAIL and "far-ais" in f.message


def test_url_only_connection_names_no_resource() -> None:
    conn = _connection("/subscriptions/s/resourceGroups/r/providers/x/workspaces/w", "c",
                       target="https://example.openai.azure.com/")  # fmt: skip
    assert connection_target(conn) is None
    assert connection_target(
        {"properties": {"metadata": {"resourceid": " /subscriptions/a "}}}
    ) == ("/subscriptions/a")


def test_suggest_mode_keeps_selector_only_candidates_out() -> None:
    """g3: an unrelated Foundry account in the same resource group is not an integration."""
    inst = blueprint()
    stray = _ais(inst, inst.rg, "stray-ais")
    stray["properties"]["publicNetworkAccess"] = "Enabled"
    inst.extra.append(stray)
    assert "AMLG-104" in {f.rule_id for f in scan(inst.rows()) if f.status is Status.FAIL}
    selector = {
        "types": ["microsoft.cognitiveservices/accounts"],
        "kinds": ["OpenAI", "AIServices"],
        "mode": "suggest",
    }
    (built,) = instances(inst.rows(), integration_selector=selector)
    assert built.suggested == [stray["id"]] and stray["id"] not in built.integrated
    assert inst.openai["id"] in built.integrated  # still integrated: its outbound rule names it
    # not demanded as an integration (no AMLG-104 failure), but shown: an info finding
    findings = scan(inst.rows(), integration_selector=selector)
    assert {f.rule_id for f in findings if f.status is not Status.PASS} == {"AMLG-115"}


def test_unknown_selector_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        IntegrationSelector.from_mapping({"mode": "maybe"})


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=10,
)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(props=_junk, kind=st.one_of(st.none(), st.sampled_from(["Project", "project", "Hub", "x"])))
def test_hostile_project_and_connection_rows_never_crash_assembly(props: Any, kind: Any) -> None:
    inst = blueprint()
    ws_id = inst.workspace["id"]
    odd = row(
        ws_id + "x", "microsoft.machinelearningservices/workspaces", properties=props, kind=kind
    )
    conn = row(f"{ws_id}/connections/c", "microsoft.machinelearningservices/workspaces/connections")
    conn["properties"] = props
    built = instances([*inst.rows(), odd, conn])
    assert any(b.id == ws_id for b in built)
    for b in built:
        assert not (b.orphan and b.associated)  # an orphan project owns nothing
        assert all(isinstance(i, str) for i in b.integrated)
