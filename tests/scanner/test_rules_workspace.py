"""AMLG-101..109: each rule passes on the blueprint and flips alone on one drifted field."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.model import Status
from tests.builders import (
    APPROVER_ROLE,
    Instance,
    blueprint,
    management_group_scope,
    rid,
    role_assignment,
    row,
    subscription,
)
from tests.scanner.harness import all_pass, failing, not_passing, of_rule, one, only_flips, scan


def ws(inst: Instance) -> dict[str, Any]:
    props: dict[str, Any] = inst.workspace["properties"]
    return props


def net(inst: Instance) -> dict[str, Any]:
    managed: dict[str, Any] = ws(inst)["managedNetwork"]
    return managed


def oai_rule(inst: Instance) -> dict[str, Any]:
    rule: dict[str, Any] = net(inst)["outboundRules"]["allowOpenAi"]
    return rule


def test_blueprint_passes_every_rule_once_per_resource() -> None:
    findings = all_pass(blueprint().rows())
    workspace_rules = [f for f in findings if f.rule_id.startswith("AMLG-10")]
    assert len(workspace_rules) == 9
    assert all(
        f.resource_type == "microsoft.machinelearningservices/workspaces" for f in workspace_rules
    )


# ---------------------------------------------------------------- AMLG-101


def test_101_enabled_fails() -> None:
    inst = blueprint()
    ws(inst)["publicNetworkAccess"] = "Enabled"
    f = only_flips(inst.rows(), "AMLG-101")
    assert f.path == "properties.publicNetworkAccess"
    assert f.actual == "Enabled" and f.expected == "Disabled"
    assert "blueprint-mlw" in f.message and "Enabled" in f.message
    assert "--public-network-access Disabled" in f.remediation


def test_101_absent_public_network_access_fails_as_absent() -> None:
    inst = blueprint()
    del ws(inst)["publicNetworkAccess"]
    f = only_flips(inst.rows(), "AMLG-101")
    assert f.actual == "absent"
    assert "properties.publicNetworkAccess is absent" in f.message


def test_101_allow_public_access_when_behind_vnet_true_fails() -> None:
    inst = blueprint()
    ws(inst)["allowPublicAccessWhenBehindVnet"] = True
    f = only_flips(inst.rows(), "AMLG-101")
    assert f.path == "properties.allowPublicAccessWhenBehindVnet"
    assert f.actual is True


@pytest.mark.parametrize("value", [False, "false", None])
def test_101_allow_public_access_when_behind_vnet_not_true_passes(value: Any) -> None:
    inst = blueprint()
    if value is None:
        del ws(inst)["allowPublicAccessWhenBehindVnet"]
    else:
        ws(inst)["allowPublicAccessWhenBehindVnet"] = value
    all_pass(inst.rows())


# ---------------------------------------------------------------- AMLG-102


@pytest.mark.parametrize("mode", ["Disabled", None])
def test_102_not_isolated_fails(mode: str | None) -> None:
    inst = blueprint()
    if mode is None:
        del net(inst)["isolationMode"]
    else:
        net(inst)["isolationMode"] = mode
    f = only_flips(inst.rows(), "AMLG-102")
    assert f.path == "properties.managedNetwork.isolationMode"
    assert f.actual == ("absent" if mode is None else "Disabled")
    assert "AllowInternetOutbound" in str(f.expected) and "AllowOnlyApprovedOutbound" in str(
        f.expected
    )


def test_102_stricter_mode_passes() -> None:
    inst = blueprint()
    net(inst)["isolationMode"] = "AllowOnlyApprovedOutbound"
    all_pass(inst.rows())


def test_102_allowed_modes_parameter_narrows_the_list() -> None:
    params = {"AMLG-102": {"allowed_modes": ["AllowOnlyApprovedOutbound"]}}
    f = only_flips(blueprint().rows(), "AMLG-102", parameters=params)
    assert f.expected == "one of [AllowOnlyApprovedOutbound]"
    assert f.actual == "AllowInternetOutbound"
    inst = blueprint()
    net(inst)["isolationMode"] = "AllowOnlyApprovedOutbound"
    all_pass(inst.rows(), parameters=params)


# ---------------------------------------------------------------- AMLG-103


def test_103_inactive_fails_alone_and_inactive_rules_are_expected() -> None:
    inst = blueprint()
    net(inst)["status"] = {"status": "Inactive", "sparkReady": False}
    for rule in net(inst)["outboundRules"].values():
        rule["status"] = "Inactive"  # before provisioning: not a second failure (AMLG-104)
    f = only_flips(inst.rows(), "AMLG-103")
    assert f.path == "properties.managedNetwork.status.status"
    assert f.actual == "Inactive"


def test_103_absent_status_fails() -> None:
    inst = blueprint()
    del net(inst)["status"]
    findings = scan(inst.rows())
    assert one(findings, "AMLG-103").status is Status.FAIL
    assert one(findings, "AMLG-103").actual == "absent"


def test_103_spark_not_ready_fails_when_a_rule_wants_spark() -> None:
    inst = blueprint()
    net(inst)["status"]["sparkReady"] = False
    f = only_flips(inst.rows(), "AMLG-103")
    assert f.path == "properties.managedNetwork.status.sparkReady"


def test_103_spark_ready_not_needed_without_spark_rules() -> None:
    inst = blueprint()
    net(inst)["status"]["sparkReady"] = False
    for rule in net(inst)["outboundRules"].values():
        rule["destination"]["sparkEnabled"] = False
    all_pass(inst.rows(), parameters={"AMLG-104": {"require_spark": False}})


# ---------------------------------------------------------------- AMLG-104


def test_104_missing_rule_names_the_integrated_resource() -> None:
    inst = blueprint()
    del net(inst)["outboundRules"]["allowOpenAi"]
    f = only_flips(inst.rows(), "AMLG-104")
    assert "blueprint-oai" in f.message and "1 integrated resource" in f.message
    assert f.actual == [inst.openai["id"]]
    assert "PrivateEndpoint outbound rule" in str(f.expected)


def test_104_names_each_integrated_resource_without_a_valid_rule() -> None:
    inst = blueprint()
    second = row(
        rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "second-ais"),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "second-ais"},
        kind="AIServices",
    )
    third = row(
        rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "third-oai"),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "third-oai"},
        kind="OpenAI",
    )
    inst.extra += [second, third]
    f = one(scan(inst.rows()), "AMLG-104")
    assert f.status is Status.FAIL
    assert "2 integrated resource(s)" in f.message
    assert "second-ais" in f.message and "third-oai" in f.message
    assert "blueprint-oai" not in f.message  # it has a valid rule


def test_104_other_kinds_and_other_resource_groups_are_not_integrated() -> None:
    inst = blueprint()
    inst.extra.append(
        row(
            rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "speech"),
            "microsoft.cognitiveservices/accounts",
            properties={"publicNetworkAccess": "Enabled"},
            kind="SpeechServices",
        )
    )
    inst.extra.append(
        row(
            rid(inst.sub, "other-rg", "Microsoft.CognitiveServices/accounts", "elsewhere-oai"),
            "microsoft.cognitiveservices/accounts",
            properties={"publicNetworkAccess": "Enabled"},
            kind="OpenAI",
        )
    )
    all_pass(inst.rows())


@pytest.mark.parametrize("target", ["blob", "amlworkspace", None])
def test_104_subresource_target_must_be_a_group_the_target_offers(target: str | None) -> None:
    inst = blueprint()
    if target is None:
        del oai_rule(inst)["destination"]["subresourceTarget"]
    else:
        oai_rule(inst)["destination"]["subresourceTarget"] = target
    f = only_flips(inst.rows(), "AMLG-104")
    assert "blueprint-oai" in f.message


def test_104_subresource_target_case_insensitive() -> None:
    inst = blueprint()
    oai_rule(inst)["destination"]["subresourceTarget"] = "ACCOUNT"
    all_pass(inst.rows())


def test_104_spark_required_by_default_and_parameter_turns_it_off() -> None:
    inst = blueprint()
    oai_rule(inst)["destination"]["sparkEnabled"] = False
    only_flips(inst.rows(), "AMLG-104")
    # 103 still wants sparkReady only while some rule has spark: the Required rule has it.
    all_pass(inst.rows(), parameters={"AMLG-104": {"require_spark": False}})


def test_104_rule_status_active_required_once_provisioned() -> None:
    inst = blueprint()
    oai_rule(inst)["status"] = "Inactive"
    f = only_flips(inst.rows(), "AMLG-104")
    assert "blueprint-oai" in f.message


def test_104_inactive_rule_accepted_before_provisioning() -> None:
    inst = blueprint()
    net(inst)["status"] = {"status": "Inactive", "sparkReady": False}
    oai_rule(inst)["status"] = "Inactive"
    assert not_passing(scan(inst.rows())) == {"AMLG-103": {"fail"}}


@pytest.mark.parametrize("rule_type", ["FQDN", "ServiceTag"])
def test_104_only_private_endpoint_rules_count(rule_type: str) -> None:
    inst = blueprint()
    oai_rule(inst)["type"] = rule_type
    f = only_flips(inst.rows(), "AMLG-104")
    assert "blueprint-oai" in f.message


def test_104_rule_destination_id_compared_case_insensitively() -> None:
    inst = blueprint()
    oai_rule(inst)["destination"]["serviceResourceId"] = inst.openai["id"].upper()
    all_pass(inst.rows())


def test_104_required_rules_and_associated_resources_are_not_integrated() -> None:
    inst = blueprint()
    # A service-created Required rule to the storage account whose flags are off, plus a
    # user rule to the key vault (associated): neither resource is "integrated".
    net(inst)["outboundRules"]["__SYS_PE_storage_blob"]["status"] = "Inactive"
    net(inst)["outboundRules"]["__SYS_PE_storage_blob"]["destination"]["sparkEnabled"] = False
    net(inst)["outboundRules"]["kv"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Inactive",
        "destination": {"serviceResourceId": inst.keyvault["id"], "subresourceTarget": "vault"},
    }
    all_pass(inst.rows())


def test_104_user_rule_destination_outside_selector_is_integrated() -> None:
    inst = blueprint()
    search = row(
        rid(inst.sub, "search-rg", "Microsoft.Search/searchServices", "srch"),
        "microsoft.search/searchservices",
        properties={"publicNetworkAccess": "Disabled"},
    )
    inst.extra.append(search)
    net(inst)["outboundRules"]["search"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {
            "serviceResourceId": search["id"],
            "subresourceTarget": "searchService",
            "sparkEnabled": True,
        },
    }
    findings = scan(inst.rows())
    # The search service is integrated: the approver role must cover it (other RG) ...
    f106 = one(findings, "AMLG-106")
    assert f106.status is Status.FAIL and "srch" in f106.message
    # ... and its rule is valid, so 104 passes; a wrong group id would fail it.
    assert one(findings, "AMLG-104").status is Status.PASS
    net(inst)["outboundRules"]["search"]["destination"]["subresourceTarget"] = "account"
    f104 = one(scan(inst.rows()), "AMLG-104")
    assert f104.status is Status.FAIL and "srch" in f104.message


def test_104_no_integrated_resources_passes() -> None:
    inst = blueprint()
    del net(inst)["outboundRules"]["allowOpenAi"]
    rows = [r for r in inst.rows() if r["type"] != "microsoft.cognitiveservices/accounts"]
    findings = scan(rows)
    assert one(findings, "AMLG-104").status is Status.PASS
    assert of_rule(findings, "AMLG-231") == []


# ---------------------------------------------------------------- AMLG-105


def test_105_system_assigned_only_fails_105_and_106_lists_everything() -> None:
    inst = blueprint()
    inst.workspace["identity"] = {"type": "SystemAssigned", "principalId": "p"}
    del ws(inst)["primaryUserAssignedIdentity"]
    findings = scan(inst.rows())
    assert failing(findings) == {"AMLG-105", "AMLG-106"}
    f105 = one(findings, "AMLG-105")
    assert f105.path == "identity.type" and f105.actual == "SystemAssigned"
    f106 = one(findings, "AMLG-106")
    for name in ("blueprintst", "blueprint-kv", "blueprintacr", "blueprint-oai"):
        assert name in f106.message


def test_105_primary_not_among_assigned_identities_fails() -> None:
    inst = blueprint()
    ws(inst)["primaryUserAssignedIdentity"] = rid(
        inst.sub, inst.rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "other-id"
    )
    findings = scan(inst.rows())
    f = one(findings, "AMLG-105")
    assert f.status is Status.FAIL
    assert f.path == "properties.primaryUserAssignedIdentity"
    # Its principal is unknown, so the approver role cannot be judged: error, never a pass.
    f106 = one(findings, "AMLG-106")
    assert f106.status is Status.ERROR and "principal" in f106.message


def test_105_primary_absent_fails() -> None:
    inst = blueprint()
    del ws(inst)["primaryUserAssignedIdentity"]
    f = one(scan(inst.rows()), "AMLG-105")
    assert f.status is Status.FAIL and f.actual == "absent"


@pytest.mark.parametrize("id_type", ["SystemAssigned,UserAssigned", "userassigned"])
def test_105_identity_type_variants_pass(id_type: str) -> None:
    inst = blueprint()
    inst.workspace["identity"]["type"] = id_type
    all_pass(inst.rows())


def test_105_identity_key_casing_differs_from_primary() -> None:
    inst = blueprint()
    uais = inst.workspace["identity"]["userAssignedIdentities"]
    key = next(iter(uais))
    inst.workspace["identity"]["userAssignedIdentities"] = {key.lower(): uais[key]}
    ws(inst)["primaryUserAssignedIdentity"] = key.upper()
    all_pass(inst.rows())


# ---------------------------------------------------------------- AMLG-106


def test_106_no_assignment_lists_every_uncovered_resource() -> None:
    inst = blueprint()
    inst.role_assignments = []
    f = only_flips(inst.rows(), "AMLG-106")
    for name in ("blueprintst", "blueprint-kv", "blueprintacr", "blueprint-oai"):
        assert name in f.message
    assert "blueprint-appi" not in f.message  # application insights needs no approval
    assert f.actual == [
        inst.storage["id"],
        inst.keyvault["id"],
        inst.registry["id"],
        inst.openai["id"],
    ]


def test_106_resource_scope_covers_only_that_resource() -> None:
    inst = blueprint()
    inst.role_assignments = [role_assignment(inst.storage["id"], inst.principal_id)]
    f = only_flips(inst.rows(), "AMLG-106")
    assert "blueprintst" not in f.message
    assert "blueprint-kv, blueprintacr, blueprint-oai" in f.message


def test_106_assignment_per_resource_covers() -> None:
    inst = blueprint()
    inst.role_assignments = [
        role_assignment(r["id"], inst.principal_id)
        for r in (inst.storage, inst.keyvault, inst.registry, inst.openai)
    ]
    all_pass(inst.rows())


@pytest.mark.parametrize("scope", ["subscription", "root"])
def test_106_broader_scopes_cover(scope: str) -> None:
    inst = blueprint()
    where = f"/subscriptions/{inst.sub}" if scope == "subscription" else "/"
    inst.role_assignments = [role_assignment(where, inst.principal_id)]
    all_pass(inst.rows())


def test_106_management_group_above_the_subscription_covers() -> None:
    inst = blueprint()
    inst.role_assignments = [role_assignment(management_group_scope("ML-Prod"), inst.principal_id)]
    # The subscription sits under ml-prod, under the tenant root group.
    all_pass([*inst.rows(), subscription(inst.sub, ["corp", "ml-prod"])])


def test_106_management_group_elsewhere_does_not_cover() -> None:
    inst = blueprint()
    inst.role_assignments = [role_assignment(management_group_scope("sandbox"), inst.principal_id)]
    f = only_flips([*inst.rows(), subscription(inst.sub, ["ml-prod"])], "AMLG-106")
    assert "blueprintst" in f.message


def test_106_management_group_scope_without_the_subscription_chain_is_error() -> None:
    inst = blueprint()
    inst.role_assignments = [role_assignment(management_group_scope("ml-prod"), inst.principal_id)]
    f = one(scan(inst.rows()), "AMLG-106")
    assert f.status is Status.ERROR
    assert "management group" in f.message and inst.sub in f.message


def test_106_sibling_scope_with_shared_prefix_does_not_cover() -> None:
    inst = blueprint()
    # ".../resourceGroups/ml-secure-blueprint-old" is not an ancestor of ".../ml-secure-blueprint/..."
    inst.role_assignments = [
        role_assignment(
            f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}-old", inst.principal_id
        )
    ]
    only_flips(inst.rows(), "AMLG-106")


def test_106_different_role_does_not_cover() -> None:
    inst = blueprint()
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    inst.role_assignments = [
        role_assignment(f"/subscriptions/{inst.sub}", inst.principal_id, contributor)
    ]
    only_flips(inst.rows(), "AMLG-106")


def test_106_another_principal_does_not_cover() -> None:
    inst = blueprint()
    inst.role_assignments = [
        role_assignment(f"/subscriptions/{inst.sub}", "0bad0bad-0000-4000-8000-00000000dead")
    ]
    only_flips(inst.rows(), "AMLG-106")


@pytest.mark.parametrize(
    "definition",
    [
        APPROVER_ROLE,
        APPROVER_ROLE.upper(),
        f"/providers/Microsoft.Authorization/roleDefinitions/{APPROVER_ROLE}",
        f"/subscriptions/x/providers/microsoft.authorization/roledefinitions/{APPROVER_ROLE.upper()}/",
    ],
)
def test_106_role_definition_compared_by_trailing_guid(definition: str) -> None:
    inst = blueprint()
    inst.role_assignments[0]["properties"]["roleDefinitionId"] = definition
    all_pass(inst.rows())


def test_106_principal_compared_case_insensitively_and_scope_from_id() -> None:
    inst = blueprint()
    ra = inst.role_assignments[0]
    ra["properties"]["principalId"] = inst.principal_id.upper()
    del ra["properties"]["scope"]  # derived from the assignment's id
    all_pass(inst.rows())


def test_106_role_parameter_accepts_a_full_definition_id() -> None:
    inst = blueprint()
    other = "11111111-2222-3333-4444-555555555555"
    inst.role_assignments = [
        role_assignment(f"/subscriptions/{inst.sub}", inst.principal_id, other)
    ]
    params = {
        "AMLG-106": {
            "role_definition_id": f"/providers/Microsoft.Authorization/roleDefinitions/{other}"
        }
    }
    all_pass(inst.rows(), parameters=params)
    # the default accepted role still counts unless accepted_roles drops it
    all_pass(blueprint().rows(), parameters=params)
    params["AMLG-106"]["accepted_roles"] = []  # type: ignore[assignment]
    only_flips(blueprint().rows(), "AMLG-106", parameters=params)


def test_106_integrated_resource_in_another_resource_group_must_be_covered() -> None:
    inst = blueprint()
    far = rid(inst.sub, "ai-shared", "Microsoft.CognitiveServices/accounts", "shared-oai")
    oai_rule(inst)["destination"]["serviceResourceId"] = far
    inst.extra.append(
        row(
            far,
            "microsoft.cognitiveservices/accounts",
            properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "shared-oai"},
            kind="OpenAI",
        )
    )
    f = one(scan(inst.rows()), "AMLG-106")
    assert f.status is Status.FAIL
    assert "shared-oai" in f.message and "blueprint-kv" not in f.message


# ---------------------------------------------------------------- AMLG-107


@pytest.mark.parametrize("value", [None, ""])
def test_107_missing_image_build_compute_fails(value: str | None) -> None:
    inst = blueprint()
    if value is None:
        del ws(inst)["imageBuildCompute"]
    else:
        ws(inst)["imageBuildCompute"] = value
    f = only_flips(inst.rows(), "AMLG-107")
    assert f.path == "properties.imageBuildCompute"
    assert "imageBuildCompute" in f.message


def test_107_applies_when_only_the_registry_is_private() -> None:
    inst = blueprint()
    ws(inst)["publicNetworkAccess"] = "Enabled"
    del ws(inst)["imageBuildCompute"]
    assert failing(scan(inst.rows())) == {"AMLG-101", "AMLG-107"}


def test_107_applies_when_only_the_workspace_is_private() -> None:
    inst = blueprint()
    inst.registry["properties"]["publicNetworkAccess"] = "Enabled"
    del ws(inst)["imageBuildCompute"]
    assert failing(scan(inst.rows())) == {"AMLG-222", "AMLG-107"}


def test_107_skipped_when_nothing_is_private() -> None:
    inst = blueprint()
    ws(inst)["publicNetworkAccess"] = "Enabled"
    inst.registry["properties"]["publicNetworkAccess"] = "Enabled"
    del ws(inst)["imageBuildCompute"]
    f = one(scan(inst.rows()), "AMLG-107")
    assert f.status is Status.SKIPPED
    assert "Neither the workspace nor its registry is private" in f.message


# ---------------------------------------------------------------- AMLG-108


@pytest.mark.parametrize(
    "link", ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"]
)
def test_108_unlinked_resource_fails(link: str) -> None:
    inst = blueprint()
    del ws(inst)[link]
    findings = scan(inst.rows())
    f = one(findings, "AMLG-108")
    assert f.status is Status.FAIL
    assert f.path == f"properties.{link}" and f.actual == "absent"


def test_108_linked_id_not_in_inventory_is_error() -> None:
    inst = blueprint()
    rows = [r for r in inst.rows() if r["id"] != inst.insights["id"]]
    findings = scan(rows)
    f = one(findings, "AMLG-108")
    assert f.status is Status.ERROR
    assert "outside the scan scope or deleted" in f.message
    assert inst.insights["id"] in f.message and "applicationInsights" in f.message
    assert not_passing(findings) == {"AMLG-108": {"error"}}


def test_108_missing_judged_resource_errors_in_its_own_rules_too() -> None:
    inst = blueprint()
    rows = [r for r in inst.rows() if r["id"] != inst.keyvault["id"]]
    findings = scan(rows)
    assert not_passing(findings) == {
        "AMLG-108": {"error"},
        "AMLG-211": {"error"},
        "AMLG-212": {"error"},
        "AMLG-240": {"error"},
    }
    f = one(findings, "AMLG-211")
    assert "outside the scan scope or deleted" in f.message
    # Not the rule's own fix (it would PATCH a vault nobody has seen): widen the scan or relink.
    assert f.remediation == (
        f"Include subscription {inst.sub} in the scan, or relink workspace blueprint-mlw if "
        "blueprint-kv was deleted."
    )


# ---------------------------------------------------------------- AMLG-109


def test_109_no_inbound_endpoint_fails() -> None:
    inst = blueprint()
    inst.remove_endpoint("workspace")
    f = only_flips(inst.rows(), "AMLG-109")
    assert "privatelink.api.azureml.ms" in str(f.expected)
    assert "privatelink.notebooks.azure.net" in str(f.expected)
    assert f.actual == 0


@pytest.mark.parametrize("zone", ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"])
def test_109_needs_both_zones(zone: str) -> None:
    inst = blueprint()
    configs = inst.zone_groups["workspace"]["properties"]["privateDnsZoneConfigs"]
    inst.zone_groups["workspace"]["properties"]["privateDnsZoneConfigs"] = [
        c for c in configs if not c["properties"]["privateDnsZoneId"].endswith(zone)
    ]
    only_flips(inst.rows(), "AMLG-109")


def test_109_no_zone_group_fails() -> None:
    inst = blueprint()
    del inst.zone_groups["workspace"]
    only_flips(inst.rows(), "AMLG-109")


@pytest.mark.parametrize("status", ["Pending", "Rejected", "Disconnected"])
def test_109_connection_not_approved_fails(status: str) -> None:
    inst = blueprint()
    conn = inst.workspace["properties"]["privateEndpointConnections"][0]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = status
    only_flips(inst.rows(), "AMLG-109")


def test_109_endpoint_not_in_inventory_fails() -> None:
    inst = blueprint()
    pe = inst.endpoints["workspace"]["id"]
    rows = [r for r in inst.rows() if r["id"] != pe]
    f = one(scan(rows), "AMLG-109")
    assert f.status is Status.FAIL


def test_106_an_unknown_management_group_does_not_hide_a_grant_that_covers() -> None:
    inst = blueprint()  # holds the role on the resource group, which covers everything
    inst.role_assignments.append(role_assignment(management_group_scope("corp"), inst.principal_id))
    all_pass(inst.rows())  # no subscription row: the group's reach is unknown, and not needed
