"""Estate builders for redteam10 #1/#4/#5/#6/#7: ServiceTag rules with address prefixes, rules
labelled with a service category, and registry connections in any status."""

from __future__ import annotations

from typing import Any

from tests.builders import Instance
from tests.builders_rules_a import outbound_rule


def prefix_rule(
    inst: Instance,
    name: str,
    prefixes: Any,
    tag: Any = "AzureMachineLearning",
    action: str = "Allow",
    category: str = "UserDefined",
) -> None:
    """A ServiceTag rule of ``inst``'s workspace whose ``addressPrefixes`` is ``prefixes``
    (Azure uses them instead of the tag); ``tag`` None leaves the tag out."""
    destination: dict[str, Any] = {
        "protocol": "*",
        "portRanges": "*",
        "action": action,
        "addressPrefixes": prefixes,
    }
    if tag is not None:
        destination["serviceTag"] = tag
    body = {"type": "ServiceTag", "category": category, "destination": destination}
    outbound_rule(inst, name, body)


def set_registry_status(registry: dict[str, Any], change: Any) -> None:
    """Apply ``change`` to the connection state of the registry's last connection
    (``change(state)``: update or pop ``status``)."""
    conn = registry["properties"]["registryPrivateEndpointConnections"][-1]
    change(conn["properties"]["registryPrivateLinkServiceConnectionState"])
