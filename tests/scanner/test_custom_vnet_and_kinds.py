"""Customer-VNet workspaces (network_isolation, real-estates 4.4), outbound-rule statuses and
the kind-aware rules (4.2: AMLG-104 in flux, AMLG-108 by kind, AMLG-202 by kind and features)."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.model import Status
from tests.builders import blueprint, compute, customer_vnet, foundry_hub, rid
from tests.scanner.harness import all_pass, instances, not_passing, of_rule, only_flips, scan

SKIPPED_IN_CUSTOM = {"AMLG-103": {"skipped"}, "AMLG-104": {"skipped"}, "AMLG-106": {"skipped"}}


def _custom(**kw: Any):
    return customer_vnet(blueprint(), **kw)


@pytest.mark.parametrize("choice", ["custom", "either"])
@pytest.mark.parametrize("absent", [False, True])
def test_compliant_customer_vnet_workspace_passes_and_skips_the_managed_rules(
    choice: str, absent: bool
) -> None:
    findings = scan(_custom(absent=absent).rows(), network_isolation=choice)
    assert not_passing(findings) == SKIPPED_IN_CUSTOM
    skipped = of_rule(findings, "AMLG-104")[0]
    assert "Custom VNet" in skipped.message
    assert len(of_rule(findings, "AMLG-112")) == 2  # the cluster and the compute instance
    assert of_rule(findings, "AMLG-113")[0].status is Status.PASS


def test_default_managed_still_fails_a_customer_vnet_workspace() -> None:
    findings = scan(_custom().rows())
    assert not_passing(findings)["AMLG-102"] == {"fail"}
    assert not of_rule(findings, "AMLG-112")  # computes are judged only in custom mode


def test_workspace_tag_overrides_the_setting() -> None:
    inst = _custom()
    inst.workspace["tags"] = {"AMLGuard-Network-Isolation": "Either"}
    assert not_passing(scan(inst.rows())) == SKIPPED_IN_CUSTOM
    (built,) = instances(inst.rows())
    assert built.network_isolation == "either" and built.custom_vnet


def test_absent_isolation_mode_is_disabled() -> None:
    inst = blueprint()
    del inst.workspace["properties"]["managedNetwork"]["isolationMode"]
    params = {"AMLG-102": {"allowed_modes": ["Disabled", "AllowInternetOutbound"]}}
    assert "AMLG-102" not in not_passing(scan(inst.rows(), parameters=params))
    assert not_passing(scan(inst.rows()))["AMLG-102"] == {"fail"}


def test_hub_is_never_a_customer_vnet_workspace() -> None:
    hub = foundry_hub()
    hub.workspace["properties"]["managedNetwork"]["isolationMode"] = "Disabled"
    (built,) = instances(hub.rows(), network_isolation="either")
    assert not built.custom_vnet
    assert not_passing(scan(hub.rows(), network_isolation="either"))["AMLG-102"] == {"fail"}


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("public-ip", {"public_ip": True}),
        (
            "elsewhere",
            {"subnet": rid("0", "x", "Microsoft.Network/virtualNetworks", "v") + "/subnets/s"},
        ),
    ],
)
def test_112_compute_outside_or_public_fails_alone(name: str, kw: dict[str, Any]) -> None:
    inst = _custom()
    inst.extra.append(compute(inst, name, **kw))
    findings = scan(inst.rows(), network_isolation="custom")
    assert not_passing(findings) == {**SKIPPED_IN_CUSTOM, "AMLG-112": {"fail"}}
    (fail,) = [f for f in of_rule(findings, "AMLG-112") if f.status is Status.FAIL]
    assert fail.resource_id.endswith(f"/computes/{name}") and name in fail.message


def test_112_ignores_other_compute_types() -> None:
    inst = _custom()
    inst.extra.append(compute(inst, "aks", "Kubernetes", public_ip=True))
    assert not_passing(scan(inst.rows(), network_isolation="custom")) == SKIPPED_IN_CUSTOM


def test_113_serverless_with_public_ip_fails_alone() -> None:
    inst = _custom()
    inst.workspace["properties"]["serverlessComputeSettings"]["serverlessComputeNoPublicIP"] = False
    findings = scan(inst.rows(), network_isolation="custom")
    assert not_passing(findings) == {**SKIPPED_IN_CUSTOM, "AMLG-113": {"fail"}}


def test_109_still_judges_the_inbound_endpoint_in_custom_mode() -> None:
    inst = _custom()
    inst.remove_endpoint("workspace")
    inst.workspace["properties"]["serverlessComputeSettings"].pop("serverlessComputeCustomSubnet")
    findings = scan(inst.rows(), network_isolation="custom", solution_subnet=inst.subnet_id)
    assert not_passing(findings) == {
        **SKIPPED_IN_CUSTOM,
        "AMLG-109": {"fail"},
        "AMLG-113": {"fail"},
    }


# ---------------------------------------------------------------- outbound rule statuses


@pytest.mark.parametrize("status", ["Provisioning", "Deleting", "provisioning"])
def test_104_rule_in_flux_is_an_error(status: str) -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowOpenAi"]["status"] = (
        status
    )
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-104": {"error"}}
    f = of_rule(findings, "AMLG-104")[0]
    assert "in flux" in f.message and "allowOpenAi" in f.message


def test_104_failed_rule_fails() -> None:
    inst = blueprint()
    rule = inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowOpenAi"]
    rule["status"] = "Failed"
    rule["errorInformation"] = "the approver could not approve the connection"
    f = only_flips(inst.rows(), "AMLG-104")
    assert "blueprint-oai" in f.message


# ---------------------------------------------------------------- AMLG-108 by kind


def test_108_hub_without_app_insights_passes_default_fails() -> None:
    hub = foundry_hub()
    del hub.workspace["properties"]["applicationInsights"]
    all_pass(hub.rows())
    inst = blueprint()
    del inst.workspace["properties"]["applicationInsights"]
    only_flips(inst.rows(), "AMLG-108")


def test_108_hub_without_registry_fails() -> None:
    hub = foundry_hub()
    del hub.workspace["properties"]["containerRegistry"]
    findings = scan(hub.rows())
    assert not_passing(findings)["AMLG-108"] == {"fail"}


# ---------------------------------------------------------------- AMLG-202 by kind and features


def test_202_hierarchical_namespace_needs_dfs() -> None:
    inst = blueprint()
    inst.storage["properties"]["isHnsEnabled"] = True
    findings = scan(inst.rows())
    # AMLG-204 judges the dfs endpoint of every HNS account of the instance too.
    assert not_passing(findings) == {"AMLG-202": {"fail"}, "AMLG-204": {"fail"}}
    assert "dfs" in str(of_rule(findings, "AMLG-202")[0].expected)
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    all_pass(inst.rows())


def test_202_feature_store_needs_dfs_not_file() -> None:
    inst = blueprint()
    inst.workspace["kind"] = "FeatureStore"
    inst.remove_endpoint("storage-file")
    only_flips(inst.rows(), "AMLG-202")
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    all_pass(inst.rows())
