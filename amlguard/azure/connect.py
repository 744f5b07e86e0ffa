"""The client factory for a run's connection settings (the one way commands reach Azure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amlguard.azure.clients import ClientFactory
    from amlguard.settings import CheckSettings


def client_factory(settings: CheckSettings, credential: Any = None) -> ClientFactory:
    """The one Azure client factory for these connection settings."""
    from amlguard.azure.clients import AzureSettings, ClientFactory

    c = settings.connection
    return ClientFactory(AzureSettings(c.cloud, c.arm_endpoint, c.ca_bundle, c.tenant), credential)
