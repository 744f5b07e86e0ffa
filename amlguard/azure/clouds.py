"""The named Azure clouds: ARM endpoint and Entra ID authority of each.

Apart from :mod:`amlguard.azure.clients` because a snapshot check needs the cloud's name (the
DNS zone names rules expect) but nothing else of Azure: importing the client factory and its
logging cost such a check ~4 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from amlguard.errors import InputError


@dataclass(frozen=True, slots=True)
class Cloud:
    """A named Azure cloud: its ARM endpoint and Entra ID authority host."""

    name: str
    arm_endpoint: str
    authority: str


CLOUDS: dict[str, Cloud] = {
    c.name.lower(): c
    for c in (
        Cloud("AzureCloud", "https://management.azure.com", "login.microsoftonline.com"),
        Cloud(
            "AzureUSGovernment", "https://management.usgovcloudapi.net", "login.microsoftonline.us"
        ),
        Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    )
}
CLOUD_NAMES = tuple(c.name for c in CLOUDS.values())


def resolve_cloud(name: str) -> Cloud:
    """The cloud called ``name`` (case-insensitive); InputError for an unknown one."""
    try:
        return CLOUDS[name.strip().lower()]
    except KeyError:
        raise InputError(
            f"--cloud {name!r}: unknown cloud (one of: {', '.join(CLOUD_NAMES)}; "
            "use --arm-endpoint for any other endpoint)"
        ) from None
