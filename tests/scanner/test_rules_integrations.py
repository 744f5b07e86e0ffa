"""AMLG-234..236 (AI Search) and AMLG-241 (AML registries): judged only when an instance
integrates them; the opt-in hardening rules (213, 224, 237..239, 250) only when asked."""

from __future__ import annotations

import pytest

from amlguard.scanner.model import Status
from tests.builders import blueprint, rid, row
from tests.builders_integrations import (
    add_ampls,
    add_registry,
    add_search,
    hardened,
    outbound_rule,
)
from tests.scanner.harness import all_pass, not_passing, of_rule, one, only_flips, pack, scan

SEARCH_RULES = ("AMLG-234", "AMLG-235", "AMLG-236")
HARDENING = ("AMLG-213", "AMLG-224", "AMLG-237", "AMLG-238", "AMLG-239", "AMLG-250")


def test_hardening_rules_are_tagged_and_the_rest_are_not() -> None:
    tagged = {r.id for r in pack().rules if "hardening" in r.tags}
    assert set(HARDENING) <= tagged
    assert not {*SEARCH_RULES, "AMLG-241"} & tagged


# ---------------------------------------------------------------- AI Search


def test_integrated_compliant_search_passes_every_default_rule() -> None:
    inst = blueprint()
    search = add_search(inst)
    findings = all_pass(inst.rows())
    for rule_id in SEARCH_RULES:
        assert one(findings, rule_id).resource_id == search["id"]


def test_public_search_fails_234_only() -> None:
    inst = blueprint()
    search = add_search(inst, public=True)
    f = only_flips(inst.rows(), "AMLG-234")
    assert f.resource_id == search["id"] and f.path == "properties.publicNetworkAccess"
    assert f.actual == "enabled" and "blueprint-srch" in f.message
    assert "--public-access disabled" in f.remediation


@pytest.mark.parametrize("value", ["Disabled", "DISABLED", "disabled"])
def test_search_access_is_compared_case_insensitively(value: str) -> None:
    inst = blueprint()
    add_search(inst)["properties"]["publicNetworkAccess"] = value
    all_pass(inst.rows())


def test_search_without_public_network_access_fails_as_enabled() -> None:
    inst = blueprint()
    del add_search(inst)["properties"]["publicNetworkAccess"]
    assert only_flips(inst.rows(), "AMLG-234").actual == "absent"


def test_free_search_fails_235() -> None:
    inst = blueprint()
    add_search(inst, sku="free")
    f = only_flips(inst.rows(), "AMLG-235")
    assert f.actual == "free" and "no private link" in f.message


def test_search_without_sku_fails_235() -> None:
    inst = blueprint()
    add_search(inst)["sku"] = None
    assert only_flips(inst.rows(), "AMLG-235").actual == "absent"


def test_search_without_endpoint_fails_236() -> None:
    inst = blueprint()
    add_search(inst, endpoint=False)
    f = only_flips(inst.rows(), "AMLG-236")
    assert "--group-id searchService" in f.remediation
    assert "privatelink.search.windows.net" in f.remediation or "private-dns zone create" in (
        f.remediation
    )


def test_search_endpoint_without_zone_fails_236() -> None:
    inst = blueprint()
    add_search(inst)
    inst.zone_groups["search"]["properties"]["privateDnsZoneConfigs"] = []
    only_flips(inst.rows(), "AMLG-236")


def test_search_endpoint_in_another_vnet_fails_236() -> None:
    inst = blueprint()
    add_search(inst)
    other = f"{inst.vnet['id']}-other/subnets/snet-endpoints"
    inst.endpoints["search"]["properties"]["subnet"]["id"] = other
    only_flips(inst.rows(), "AMLG-236")


def test_search_integrated_through_a_connection_is_judged() -> None:
    inst = blueprint()
    search = add_search(inst, public=True, integrate="connection")
    f = only_flips(inst.rows(), "AMLG-234")
    assert f.resource_id == search["id"]


def test_search_no_workspace_integrates_is_never_judged() -> None:
    """Blueprint section 2: a public search service in the resource group, reached by no rule
    or connection, is not the instance's (no tenant-wide noise)."""
    inst = blueprint()
    search = add_search(inst, public=True, sku="free", endpoint=False, integrate="none")
    findings = scan(inst.rows())
    assert not_passing(findings) == {}
    assert not [f for f in findings if f.resource_id == search["id"]]


def test_search_in_another_resource_group_is_judged_when_a_rule_names_it() -> None:
    inst = blueprint()
    search = add_search(inst, public=True, rg="shared-search")
    findings = scan(inst.rows())
    # ... and the approver role (on the workspace's resource group) does not cover it
    assert not_passing(findings) == {"AMLG-106": {"fail"}, "AMLG-234": {"fail"}}
    assert one(findings, "AMLG-234").resource_id == search["id"]


def test_search_rule_destination_outside_the_scan_is_an_error() -> None:
    inst = blueprint()
    search = add_search(inst)
    rows = [r for r in inst.rows() if r["id"] != search["id"]]
    statuses = {f.rule_id: f.status for f in scan(rows) if f.resource_id == search["id"]}
    assert statuses["AMLG-234"] is Status.ERROR and statuses["AMLG-235"] is Status.ERROR


def test_search_without_solution_vnet_skips_236() -> None:
    inst = blueprint()
    add_search(inst)
    findings = scan(inst.rows(), rule_ids=["AMLG-236"], solution_subnet=None)
    assert {f.status for f in findings} == {Status.PASS}
    # No endpoint at all (the workspace lists none either): there truly is no solution VNet.
    inst.workspace["properties"].pop("privateEndpointConnections", None)
    rows = [r for r in inst.rows() if r["type"] not in ("microsoft.network/privateendpoints",)]
    f = one(scan(rows, rule_ids=["AMLG-236"]), "AMLG-236")
    assert f.status is Status.SKIPPED and "solution VNet" in f.message


# ---------------------------------------------------------------- AML registries


def test_integrated_compliant_registry_passes_every_default_rule() -> None:
    inst = blueprint()
    registry, _ = add_registry(inst)
    f = one(all_pass(inst.rows()), "AMLG-241")
    assert f.resource_id == registry["id"]


def test_public_registry_fails_241() -> None:
    inst = blueprint()
    add_registry(inst, public=True)
    f = only_flips(inst.rows(), "AMLG-241")
    assert f.path == "properties.publicNetworkAccess" and f.actual == "Enabled"
    assert "az ml registry update" in f.remediation
    assert "--set publicNetworkAccess=Disabled" in f.remediation


def test_registry_without_endpoint_fails_241() -> None:
    inst = blueprint()
    add_registry(inst, endpoint=False)
    f = only_flips(inst.rows(), "AMLG-241")
    assert f.path == "privateEndpoints"


@pytest.mark.parametrize("status", ["Pending", "Rejected", "Disconnected"])
def test_registry_connection_not_approved_fails_241_and_240(status: str) -> None:
    inst = blueprint()
    add_registry(inst, connection_status=status)
    assert not_passing(scan(inst.rows())) == {"AMLG-240": {"fail"}, "AMLG-241": {"fail"}}


def test_registry_public_managed_storage_and_acr_fail_241_naming_them() -> None:
    inst = blueprint()
    _, managed = add_registry(inst, managed_public=True)
    f = only_flips(inst.rows(), "AMLG-241")
    assert f.path == "linkedResources"
    assert set(f.offenders) == set(f.actual) == {m["id"] for m in managed}


def test_registry_managed_resources_without_endpoints_fail_241() -> None:
    inst = blueprint()
    _, managed = add_registry(inst, managed_endpoints=False)
    f = only_flips(inst.rows(), "AMLG-241")
    assert set(f.offenders) == {m["id"] for m in managed}


def test_registry_managed_resources_outside_the_scan_are_an_error() -> None:
    inst = blueprint()
    add_registry(inst, managed_in_scan=False)
    f = one(scan(inst.rows()), "AMLG-241")
    assert f.status is Status.ERROR
    assert "outside the scan scope" in f.message


def test_registry_no_rule_reaches_is_not_judged() -> None:
    inst = blueprint()
    registry, _ = add_registry(inst, public=True)
    del inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowRegistry"]
    assert not [f for f in scan(inst.rows()) if f.resource_id == registry["id"]]


# ---------------------------------------------------------------- hardening (opt-in)


def test_hardening_rules_do_not_run_by_default() -> None:
    inst = blueprint()
    add_search(inst, local_auth=True)
    inst.registry["properties"]["adminUserEnabled"] = True
    findings = all_pass(inst.rows())
    assert not {f.rule_id for f in findings} & set(HARDENING)


def test_hardening_rules_fail_on_the_plain_blueprint_when_asked() -> None:
    inst = blueprint()
    add_search(inst, local_auth=True)
    inst.registry["properties"]["adminUserEnabled"] = True
    findings = scan(inst.rows(), rule_ids=HARDENING)
    assert not_passing(findings) == {r: {"fail"} for r in HARDENING}


def test_hardened_blueprint_passes_every_hardening_rule() -> None:
    inst = hardened(blueprint())
    add_search(inst)
    findings = scan(inst.rows(), rule_ids=HARDENING)
    assert not_passing(findings) == {}
    assert {f.rule_id for f in findings} == set(HARDENING)
    # ... and the default rules still pass with the AMPLS and its endpoint in the estate
    all_pass(inst.rows())


def test_224_absent_admin_user_is_disabled() -> None:
    inst = hardened(blueprint())
    del inst.registry["properties"]["adminUserEnabled"]
    assert {f.status for f in scan(inst.rows(), rule_ids=["AMLG-224"])} == {Status.PASS}


def test_213_judges_an_integrated_key_vault_too() -> None:
    inst = hardened(blueprint())
    vault = row(
        rid(inst.sub, inst.rg, "Microsoft.KeyVault/vaults", "team-kv"),
        "microsoft.keyvault/vaults",
        properties={"publicNetworkAccess": "Disabled"},
    )
    inst.extra.append(vault)
    outbound_rule(inst, "allowTeamKv", vault, "vault")
    findings = of_rule(scan(inst.rows(), rule_ids=["AMLG-213"]), "AMLG-213")
    assert {f.resource_id: f.status for f in findings} == {
        inst.keyvault["id"]: Status.PASS,
        vault["id"]: Status.FAIL,
    }


def test_239_skips_kinds_without_outbound_calls() -> None:
    inst = hardened(blueprint())
    account = row(
        rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "blueprint-lang"),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "blueprint-lang"},
        kind="TextAnalytics",
    )
    inst.extra.append(account)
    outbound_rule(inst, "allowLanguage", account, "account")
    findings = of_rule(scan(inst.rows(), rule_ids=["AMLG-239"]), "AMLG-239")
    assert {f.resource_id: f.status for f in findings} == {
        inst.openai["id"]: Status.PASS,
        account["id"]: Status.SKIPPED,
    }


def test_239_needs_a_non_empty_allow_list() -> None:
    inst = hardened(blueprint())
    inst.openai["properties"]["allowedFqdnList"] = []
    assert {f.status for f in scan(inst.rows(), rule_ids=["AMLG-239"])} == {Status.FAIL}


def test_250_private_flags_without_a_scope_fail() -> None:
    inst = hardened(blueprint())
    inst.extra = [r for r in inst.extra if "privatelinkscopes" not in r["type"]]
    f = one(scan(inst.rows(), rule_ids=["AMLG-250"]), "AMLG-250")
    assert f.status is Status.FAIL and f.path == "privateLinkScopes"


def test_250_scope_with_pending_endpoint_fails() -> None:
    inst = blueprint()
    add_ampls(inst)
    conn = inst.endpoints["ampls"]["properties"]["privateLinkServiceConnections"][0]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = "Pending"
    scope = next(r for r in inst.extra if r["type"] == "microsoft.insights/privatelinkscopes")
    scope["properties"]["privateEndpointConnections"][0]["properties"][
        "privateLinkServiceConnectionState"
    ]["status"] = "Pending"
    f = one(scan(inst.rows(), rule_ids=["AMLG-250"]), "AMLG-250")
    assert f.status is Status.FAIL


def test_250_public_ingestion_fails_with_its_path() -> None:
    inst = hardened(blueprint())
    inst.insights["properties"]["publicNetworkAccessForQuery"] = "Enabled"
    f = one(scan(inst.rows(), rule_ids=["AMLG-250"]), "AMLG-250")
    assert f.status is Status.FAIL and f.path == "properties.publicNetworkAccessForQuery"
