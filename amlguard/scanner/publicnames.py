"""The public DNS name clients query for each private DNS zone of the private link table
(``policies/private_link.yaml``), for AMLG-301 (c) (redteam10a #9).

A client in the solution VNet asks for ``acct.blob.core.windows.net``, not for the
``privatelink.`` name: Azure answers with a CNAME into the privatelink zone only if the query
for the **public** name reaches a resolver that chases it. A forwarding rule for the public name
(or a parent of it, ``core.windows.net.``, ``windows.net.``) is therefore the one that decides
the name clients query, ahead of any rule for the privatelink zone.

Source: Microsoft Learn "Azure Private Endpoint private DNS zone values"
(https://learn.microsoft.com/azure/private-link/private-endpoint-dns, ms.date 08/04/2025, the
"Public DNS zone forwarders" column of the Commercial, Government and China tables; read in
the stored mirror xtqqczze/MicrosoftDocs-azure-docs@1ab2e5ad
``articles/private-link/private-endpoint-dns.md``, CC BY 4.0). A zone is listed with the
forwarder names the page pairs with it: the zone's name without ``privatelink.`` wherever the
page lists that name for the zone's row, plus Key Vault's ``vault.*`` names (clients query
``*.vault.azure.net``, which CNAMEs into ``privatelink.vaultcore.azure.net``). Forwarders the
page lists for a row without saying which zone they land in (Azure Machine Learning's
``instances.azureml.ms``, ``aznbcontent.net``, ``inference.ml.azure.com``) are left out.

Zones of the table whose public name the page does not give are **not listed**, and for them
only the privatelink rule is judged (no guess): ``privatelink.openai.azure.us`` (the Government
table lists Azure AI services under ``cognitiveservices.azure.us`` only) and, in Azure China,
``privatelink.cognitiveservices.azure.cn``, ``privatelink.openai.azure.cn``,
``privatelink.search.azure.cn`` and ``privatelink.azurecr.cn`` (the China table has no rows for
them); Azure China's Key Vault row lists ``vaultcore.azure.cn`` only.
"""

from __future__ import annotations

_STORAGE = ("blob", "file", "queue", "table", "web", "dfs")
_SUFFIXES = ("core.windows.net", "core.usgovcloudapi.net", "core.chinacloudapi.cn")

#: zone name (lower case, no trailing dot) -> the public names clients query
PUBLIC_NAMES: dict[str, tuple[str, ...]] = {
    # Commercial
    "privatelink.api.azureml.ms": ("api.azureml.ms",),
    "privatelink.notebooks.azure.net": ("notebooks.azure.net",),
    "privatelink.cognitiveservices.azure.com": ("cognitiveservices.azure.com",),
    "privatelink.openai.azure.com": ("openai.azure.com",),
    "privatelink.services.ai.azure.com": ("services.ai.azure.com",),
    "privatelink.datafactory.azure.net": ("datafactory.azure.net",),
    "privatelink.adf.azure.com": ("adf.azure.com",),
    "privatelink.documents.azure.com": ("documents.azure.com",),
    "privatelink.vaultcore.azure.net": ("vault.azure.net", "vaultcore.azure.net"),
    "privatelink.azurecr.io": ("azurecr.io",),
    "privatelink.search.windows.net": ("search.windows.net",),
    "privatelink.monitor.azure.com": ("monitor.azure.com",),
    "privatelink.oms.opinsights.azure.com": ("oms.opinsights.azure.com",),
    "privatelink.ods.opinsights.azure.com": ("ods.opinsights.azure.com",),
    "privatelink.agentsvc.azure-automation.net": ("agentsvc.azure-automation.net",),
    # Government
    "privatelink.api.ml.azure.us": ("api.ml.azure.us",),
    "privatelink.notebooks.usgovcloudapi.net": ("notebooks.usgovcloudapi.net",),
    "privatelink.cognitiveservices.azure.us": ("cognitiveservices.azure.us",),
    "privatelink.datafactory.azure.us": ("datafactory.azure.us",),
    "privatelink.adf.azure.us": ("adf.azure.us",),
    "privatelink.documents.azure.us": ("documents.azure.us",),
    "privatelink.vaultcore.usgovcloudapi.net": (
        "vault.usgovcloudapi.net",
        "vaultcore.usgovcloudapi.net",
    ),
    "privatelink.azurecr.us": ("azurecr.us",),
    "privatelink.search.azure.us": ("search.azure.us",),
    "privatelink.monitor.azure.us": ("monitor.azure.us",),
    "privatelink.adx.monitor.azure.us": ("adx.monitor.azure.us",),
    "privatelink.oms.opinsights.azure.us": ("oms.opinsights.azure.us",),
    "privatelink.ods.opinsights.azure.us": ("ods.opinsights.azure.us",),
    "privatelink.agentsvc.azure-automation.us": ("agentsvc.azure-automation.us",),
    # China
    "privatelink.api.ml.azure.cn": ("api.ml.azure.cn",),
    "privatelink.notebooks.chinacloudapi.cn": ("notebooks.chinacloudapi.cn",),
    "privatelink.datafactory.azure.cn": ("datafactory.azure.cn",),
    "privatelink.adf.azure.cn": ("adf.azure.cn",),
    "privatelink.documents.azure.cn": ("documents.azure.cn",),
    "privatelink.vaultcore.azure.cn": ("vaultcore.azure.cn",),
}
PUBLIC_NAMES.update(
    {f"privatelink.{s}.{suffix}": (f"{s}.{suffix}",) for s in _STORAGE for suffix in _SUFFIXES}
)


def of(zone_name: str) -> tuple[str, ...]:
    """The public names clients query for private DNS zone ``zone_name`` (any case, a
    trailing dot allowed); () when Microsoft's table does not give them."""
    return PUBLIC_NAMES.get(zone_name.strip().rstrip(".").lower(), ())


def covers(domain: str, public: str) -> bool:
    """Whether a forwarding rule for ``domain`` (lower case, no trailing dot; '' is the
    wildcard ``.``, which is not a rule for the public name) matches every name under
    ``public``: the public name itself or a parent of it."""
    return bool(domain) and (public == domain or public.endswith("." + domain))


__all__ = ["PUBLIC_NAMES", "covers", "of"]
