"""Templates: ARM property names are case-insensitive (``PrivateLinkServiceConnections`` deploys
as ``privateLinkServiceConnections``), so a template's findings do not depend on their casing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource
from tests.iac.helpers import DATA, RG, SUB, scan
from tests.scanner.test_property_name_case import DATA_MAPS, random_spelling

BASE = DATA / "own" / "redteam" / "compliant.json"
PARAMS = DATA / "own" / "redteam" / "compliant.parameters.json"
CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, location="westeurope")
DEPLOYMENTS = "microsoft.resources/deployments"
LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"


def _drifted() -> dict[str, Any]:
    """The compliant template without its VNet links (AMLG-301 fails on every zone)."""
    template = json.loads(BASE.read_text())
    template["resources"] = [r for r in template["resources"] if r["type"] != LINK]
    return template


def recase(value: Any, spell: Any, parent: str = "") -> Any:
    """``value`` with its property names respelled; a property ``copy`` loop is template
    language, not a property, and data-map keys are data: both kept."""
    if isinstance(value, dict):
        keep = parent.lower() in DATA_MAPS
        return {
            (k if keep or k == "copy" else spell(k)): (v if k == "copy" else recase(v, spell, k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [recase(v, spell, parent) for v in value]
    return value


def respell(template: dict[str, Any], spell: Any) -> dict[str, Any]:
    """Every resource's property names respelled (nested deployments' resources too)."""
    for res in template["resources"]:
        if res["type"].lower() == DEPLOYMENTS:
            respell(res["properties"]["template"], spell)
        elif isinstance(res.get("properties"), dict):
            res["properties"] = recase(res["properties"], spell)
    return template


def verdicts(template: dict[str, Any], tmp: Path) -> list[tuple[str, str, str, str]]:
    path = tmp / "main.json"
    path.write_text(json.dumps(template))
    result = scan(TemplateSource([path], [PARAMS], {}, CONTEXT))
    return sorted(
        (f.rule_id, f.resource_id.lower(), f.status.value, f.message) for f in result.findings
    )


def test_red_team_spelling_keeps_the_endpoints(tmp_path: Path) -> None:
    """``PrivateLinkServiceConnections`` and ``Subnet`` on the endpoints: same findings
    (AMLG-301 fails on the unlinked zones; no false "no approved private endpoint")."""
    expected = verdicts(_drifted(), tmp_path)
    assert {v[2] for v in expected if v[0] == "AMLG-301"} == {"fail"}
    spelled = {"privateLinkServiceConnections": "PrivateLinkServiceConnections", "subnet": "Subnet"}
    got = verdicts(respell(_drifted(), lambda k: spelled.get(k, k)), tmp_path)
    assert got == expected


@pytest.mark.parametrize("spell", [str.lower, str.upper], ids=["lower", "upper"])
def test_template_in_other_property_casing_gives_the_same_findings(
    spell: Any, tmp_path: Path
) -> None:
    assert verdicts(respell(_drifted(), spell), tmp_path) == verdicts(_drifted(), tmp_path)


@settings(
    derandomize=True,
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.integers(min_value=0, max_value=2**32))
def test_random_property_casing_of_a_template(tmp_path: Path, seed: int) -> None:
    expected = verdicts(_drifted(), tmp_path)
    assert verdicts(respell(_drifted(), random_spelling(seed)), tmp_path) == expected
