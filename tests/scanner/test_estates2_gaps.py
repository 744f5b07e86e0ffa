"""Issue 12 gaps closed in session 4 (estates2): outbound rule statuses quoted (AMLG-104), the
selector's suggestions (AMLG-115), AMLG-107's fix by kind and AMLG-108's wording on hubs."""

from __future__ import annotations

import pytest

from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.scanner.harness import not_passing, of_rule, only_flips, scan


def _rules(inst):
    return inst.workspace["properties"]["managedNetwork"]["outboundRules"]


@pytest.mark.parametrize("network", ["Active", "Inactive"])
def test_104_failed_rule_fails_quoting_error_information(network: str) -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["status"]["status"] = network
    rule = _rules(inst)["allowOpenAi"]
    rule["status"] = "Failed"
    rule["errorInformation"] = "PrivateEndpointConnection was rejected by the approver"
    findings = scan(inst.rows())
    unprovisioned = {"AMLG-103": {"fail"}} if network == "Inactive" else {}
    assert not_passing(findings) == {**unprovisioned, "AMLG-104": {"fail"}}
    (f,) = of_rule(findings, "AMLG-104")
    assert "outbound rule allowOpenAi is Failed" in f.message
    assert '"PrivateEndpointConnection was rejected by the approver"' in f.message
    assert "blueprint-oai" in f.message
    # the manual command never takes a described item for a resource id
    assert "is Failed" not in f.remediation


def test_104_failed_rule_error_information_is_neutralised() -> None:
    inst = blueprint()
    rule = _rules(inst)["allowOpenAi"]
    rule["status"] = "failed"
    rule["errorInformation"] = 'bad\x1b[31m "red"\nline2\u202e' + "x" * 500
    f = only_flips(inst.rows(), "AMLG-104")
    assert "\x1b" not in f.message and "\n" not in f.message and "\u202e" not in f.message
    assert "\\u001b" in f.message and "\\u202e" in f.message
    assert "'red'" in f.message and len(f.message) < 500


def test_104_failed_rule_without_error_information_says_so() -> None:
    inst = blueprint()
    _rules(inst)["allowOpenAi"]["status"] = "Failed"
    f = only_flips(inst.rows(), "AMLG-104")
    assert "no errorInformation given" in f.message


def test_104_failed_nested_error_information() -> None:
    inst = blueprint()
    rule = _rules(inst)["allowOpenAi"]
    rule["status"] = "Failed"
    rule["errorInformation"] = {"code": "Conflict", "message": "subnet full"}
    assert '"Conflict: subnet full"' in only_flips(inst.rows(), "AMLG-104").message


@pytest.mark.parametrize("status", ["Provisioning", "Deleting"])
def test_104_in_flux_outranks_failed(status: str) -> None:
    inst = blueprint()
    _rules(inst)["allowOpenAi"]["status"] = "Failed"
    rules = _rules(inst)
    other = dict(rules["allowOpenAi"])
    other["status"] = status
    rules["second"] = other
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-104": {"error"}}
    (f,) = of_rule(findings, "AMLG-104")
    assert f.status is Status.ERROR and f"second ({status})" in f.message


# ---------------------------------------------------------------- AMLG-108 on a hub


def test_108_hub_without_app_insights_pass_says_it_is_optional() -> None:
    from tests.builders import foundry_hub

    hub = foundry_hub()
    del hub.workspace["properties"]["applicationInsights"]
    (f,) = of_rule(scan(hub.rows()), "AMLG-108")
    assert f.status is Status.PASS and "App Insights optional on a Hub" in f.message


def test_108_default_without_app_insights_fail_says_only_hubs_may_omit_it() -> None:
    inst = blueprint()
    del inst.workspace["properties"]["applicationInsights"]
    f = only_flips(inst.rows(), "AMLG-108")
    assert "applicationInsights" in f.message and "optional only on a Hub" in f.message


def test_108_hub_without_registry_fail_says_to_precreate_a_private_one() -> None:
    from tests.builders import foundry_hub

    hub = foundry_hub()
    del hub.workspace["properties"]["containerRegistry"]
    (f,) = [x for x in of_rule(scan(hub.rows()), "AMLG-108") if x.status is Status.FAIL]
    assert "containerRegistry" in f.message and "Premium private registry" in f.message


# ---------------------------------------------------------------- integration_selector.mode


def _unrelated_foundry(inst):
    from tests.builders import rid, row

    account = row(
        rid(inst.sub, inst.rg, "Microsoft.CognitiveServices/accounts", "foundry-unrelated"),
        "microsoft.cognitiveservices/accounts",
        "westeurope",
        {"publicNetworkAccess": "Enabled"},
        kind="AIServices",
    )
    inst.extra.append(account)
    return account


def test_selector_only_candidate_fails_104_in_require_mode() -> None:
    inst = blueprint()
    _unrelated_foundry(inst)
    findings = scan(inst.rows())
    assert "AMLG-104" in not_passing(findings)
    assert not of_rule(findings, "AMLG-115")


def test_selector_only_candidate_is_an_info_finding_in_suggest_mode() -> None:
    inst = blueprint()
    account = _unrelated_foundry(inst)
    findings = scan(inst.rows(), integration_selector={"mode": "suggest"})
    assert not_passing(findings) == {"AMLG-115": {"fail"}}
    (f,) = of_rule(findings, "AMLG-115")
    assert f.severity.name == "INFO" and f.resource_id == account["id"]
    assert "foundry-unrelated" in f.message and "blueprint-ml" in f.message
    assert "--service-resource-id " + account["id"] in f.remediation


def test_suggest_mode_still_integrates_what_a_rule_names() -> None:
    inst = blueprint()
    findings = scan(inst.rows(), integration_selector={"mode": "suggest"})
    assert not_passing(findings) == {}
    assert not of_rule(findings, "AMLG-115")
