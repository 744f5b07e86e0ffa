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


#: a subscription no scan of these estates reads
OTHER_SUB = "11111111-2222-3333-4444-555555555555"


def shared_aoai_id(sub: str = OTHER_SUB) -> str:
    """The id of a tenant-wide Azure OpenAI account in another subscription."""
    return (
        f"/subscriptions/{sub}/resourceGroups/rg-ai-shared/providers/"
        "Microsoft.CognitiveServices/accounts/aoai-shared"
    )


def aoai_connection(inst: Instance, target_id: str, name: str = "shared-aoai") -> dict[str, Any]:
    """A workspace connection to the Azure OpenAI account ``target_id`` (metadata.ResourceId),
    which makes it an integrated resource of the instance."""
    from tests.builders import row

    conn = row(
        f"{inst.workspace['id']}/connections/{name}",
        "microsoft.machinelearningservices/workspaces/connections",
        inst.workspace["location"],
        {
            "category": "AzureOpenAI",
            "authType": "AAD",
            "target": "https://aoai-shared.openai.azure.com/",
            "metadata": {"ApiType": "Azure", "ResourceId": target_id},
        },
    )
    inst.extra.append(conn)
    return conn
