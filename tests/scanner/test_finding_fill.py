"""findingtext.fill gives exactly what format_map over finding_fields gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.findingtext import fill, finding_fields
from amlguard.scanner.instances import Instance
from amlguard.scanner.targets import Target

_ID = "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.Network/privateDnsZones/z\nx"
_WS = "/subscriptions/s2/resourceGroups/ws-rg/providers/Microsoft.MachineLearningServices/workspaces/w"
_TARGETS = [
    Target(_ID, "microsoft.network/privatednszones", {"id": _ID, "name": "zone\u202e"}),
    Target(_ID, "microsoft.network/privatednszones", {"id": _ID, "resourceGroup": "RG"}),
    Target(_ID, "microsoft.network/privatednszones", None),
]
_INSTANCES = [
    Instance(_WS, {"id": _WS, "name": "w" * 3000}, {}, [], None, None, None, None),
    Instance(_WS, {"id": _WS}, {}, [], None, None, "/subnet\t1", "/vnet"),
]
_EXTRA: list[dict[str, Any]] = [
    {},
    {"evidence": "linked; resolver\n(x)"},
    {"evidence": 3, "name": "override", "count": 0},
]
_PIECES = [
    "Zone ",
    "{name}",
    "{id}",
    "{type}",
    "{resourceGroup}",
    "{subscriptionId}",
    "{workspace}",
    "{workspaceId}",
    "{workspaceResourceGroup}",
    "{workspaceSubscriptionId}",
    "{solutionSubnetId}",
    "{evidence}",
    "{count}",
    "{unknown}",
    "{name!r}",
    "{name:>5}",
    "{name.__class__}",
    "{name[0]}",
    "{}",
    "{0}",
    "{{literal}}",
    "{",
    "}",
    ": ",
]


def _outcome(fn: Any) -> str | type[Exception]:
    try:
        return str(fn())
    except Exception as exc:
        return type(exc)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=8),
    st.sampled_from(_TARGETS),
    st.sampled_from(_INSTANCES),
    st.sampled_from(_EXTRA),
)
def test_fill_is_format_map_over_the_finding_fields(
    pieces: list[str], target: Target, instance: Instance, extra: dict[str, Any]
) -> None:
    template = "".join(pieces)
    expected = _outcome(lambda: template.format_map(finding_fields(target, instance, extra)))
    assert _outcome(lambda: fill(template, target, instance, extra)) == expected


def test_fill_neutralises_and_bounds_data() -> None:
    text = fill("{name} in {workspace}: {evidence}", _TARGETS[0], _INSTANCES[0], _EXTRA[1])
    assert "\n" not in text and "\u202e" not in text
    assert "…[+952 characters]" in text  # the 3,000-character workspace name is cut
