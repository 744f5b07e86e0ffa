"""The client factory: the only place amlguard constructs Azure SDK clients.

Every client gets the same four settings (cloud or custom ARM endpoint, token scope, credential,
CA bundle), so tests point everything at the local emulator by changing two values. Heavy SDKs
(azure-ai-ml ~1.1 s, azure-mgmt-network ~0.4 s) are imported inside the methods that need them,
never on the ``check`` path.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# Re-exported: the clouds were defined here before the snapshot path needed them alone.
from amlguard import inputfile
from amlguard.azure.clouds import CLOUD_NAMES as CLOUD_NAMES
from amlguard.azure.clouds import CLOUDS as CLOUDS
from amlguard.azure.clouds import Cloud as Cloud
from amlguard.azure.clouds import resolve_cloud
from amlguard.errors import InputError
from amlguard.urls import credential_problem, shown

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.resourcegraph import ResourceGraphClient
    from azure.monitor.ingestion import LogsIngestionClient

TOKEN_ENV = "AMLGUARD_ACCESS_TOKEN"
_log = logging.getLogger("amlguard.azure")

#: Azure Monitor's token audience per cloud (logs-ingestion-api-overview.md, "Request headers").
MONITOR_AUDIENCES = {
    "azurecloud": "https://monitor.azure.com",
    "azureusgovernment": "https://monitor.azure.us",
    "azurechinacloud": "https://monitor.azure.cn",
}


@dataclass(frozen=True, slots=True)
class AzureSettings:
    """How to reach Azure: cloud, optional custom endpoint and CA bundle, tenant."""

    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    tenant: str | None = None

    @property
    def endpoint(self) -> str:
        """The ARM endpoint every client talks to (no trailing slash)."""
        if self.arm_endpoint:
            return self.arm_endpoint.rstrip("/")
        return resolve_cloud(self.cloud).arm_endpoint

    @property
    def scope(self) -> str:
        """The token scope for that endpoint (``<endpoint>/.default``)."""
        return f"{self.endpoint}/.default"


def validate(settings: AzureSettings) -> AzureSettings:
    """Reject settings that cannot work before any request is sent."""
    resolve_cloud(settings.cloud)
    endpoint = settings.arm_endpoint
    if endpoint is not None and not re.match(r"^https://[^/\s]+(/[^\s]*)?$", endpoint):
        raise InputError(
            f"--arm-endpoint {shown(endpoint)!r}: must be an https:// URL "
            "(bearer tokens are never sent over plain http)"
        )
    problem = credential_problem(endpoint) if endpoint is not None else None
    if problem:  # it would be printed in every report and log, and sent in the token scope
        raise InputError(f"--arm-endpoint {shown(str(endpoint))!r}: {problem}")
    why = inputfile.not_regular(settings.ca_bundle) if settings.ca_bundle is not None else None
    if why:
        raise InputError(f"--ca-bundle {settings.ca_bundle}: {why}")
    return settings


class StaticTokenCredential:
    """A credential handing out a pre-acquired bearer token (``AMLGUARD_ACCESS_TOKEN``).

    The token's expiry is unknown, so it is reported an hour ahead; a rejected token surfaces as
    the service's 401, like any other authentication failure.
    """

    def __init__(self, token: str) -> None:
        self._token = token.strip()

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<redacted>)"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, int(time.time()) + 3600)


class _TenantCredential:
    """Asks the wrapped credential for tokens of one tenant (``--tenant``)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        kwargs.setdefault("tenant_id", self._tenant)
        token: AccessToken = self._inner.get_token(*scopes, **kwargs)
        return token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()


def make_credential(settings: AzureSettings) -> Any:
    """``AMLGUARD_ACCESS_TOKEN`` when set, else azure-identity's DefaultAzureCredential."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        _log.info("using the pre-acquired access token from %s", TOKEN_ENV)
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, Any] = {}
    if not settings.arm_endpoint:
        kwargs["authority"] = resolve_cloud(settings.cloud).authority
    if settings.tenant:
        kwargs.update(
            additionally_allowed_tenants=[settings.tenant],
            workload_identity_tenant_id=settings.tenant,
            shared_cache_tenant_id=settings.tenant,
            visual_studio_code_tenant_id=settings.tenant,
            interactive_browser_tenant_id=settings.tenant,
        )
        return _TenantCredential(DefaultAzureCredential(**kwargs), settings.tenant)
    return DefaultAzureCredential(**kwargs)


_cloud_names = itertools.count(1)


class ClientFactory:
    """Builds every SDK client amlguard uses from one set of settings and one credential."""

    def __init__(self, settings: AzureSettings, credential: Any | None = None) -> None:
        self.settings = validate(settings)
        self._credential = credential
        self._ml_cloud: str | None = None

    @property
    def credential(self) -> TokenCredential:
        """The credential (built on first use, so ``--help`` never imports azure-identity)."""
        if self._credential is None:
            self._credential = make_credential(self.settings)
        return self._credential

    def common_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """``base_url``, ``credential_scopes`` and ``connection_verify`` for any mgmt client."""
        kwargs: dict[str, Any] = {
            "base_url": self.settings.endpoint,
            "credential_scopes": [self.settings.scope],
        }
        if self.settings.ca_bundle:
            kwargs["connection_verify"] = self.settings.ca_bundle
        kwargs.update(overrides)
        return kwargs

    def resource_graph(self, **overrides: Any) -> ResourceGraphClient:
        """A Resource Graph client; callers that pace and retry themselves pass ``retry_total=0``."""
        from azure.mgmt.resourcegraph import ResourceGraphClient

        return ResourceGraphClient(self.credential, **self.common_kwargs(**overrides))

    def arm_pipeline(self, **overrides: Any) -> ARMPipelineClient:
        """A raw ARM pipeline client for GET/PATCH on any resource id (bearer auth, retries)."""
        from azure.core.pipeline import policies
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

        kwargs = self.common_kwargs(**overrides)
        base_url = kwargs.pop("base_url")
        scopes = kwargs.pop("credential_scopes")
        config_policies = [
            policies.RequestIdPolicy(**kwargs),
            policies.HeadersPolicy(**kwargs),
            policies.UserAgentPolicy(sdk_moniker="amlguard", **kwargs),
            policies.RetryPolicy(**kwargs),
            ARMChallengeAuthenticationPolicy(self.credential, *scopes),
            policies.ContentDecodePolicy(**kwargs),
            policies.NetworkTraceLoggingPolicy(**kwargs),
            policies.HttpLoggingPolicy(**kwargs),
        ]
        return ARMPipelineClient(base_url=base_url, policies=config_policies, **kwargs)

    def authorization(self, subscription_id: str, **overrides: Any) -> Any:
        """An AuthorizationManagementClient for one subscription."""
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(
            self.credential, subscription_id, **self.common_kwargs(**overrides)
        )

    def network(self, subscription_id: str, **overrides: Any) -> Any:
        """A NetworkManagementClient for one subscription (imported lazily: ~0.4 s)."""
        from azure.mgmt.network import NetworkManagementClient

        return NetworkManagementClient(
            self.credential, subscription_id, **self.common_kwargs(**overrides)
        )

    def ml_client(
        self,
        subscription_id: str,
        resource_group: str,
        workspace: str | None = None,
        **overrides: Any,
    ) -> Any:
        """An azure-ai-ml MLClient (imported lazily: ~1.1 s).

        MLClient ignores ``base_url``; a custom endpoint is registered as a custom cloud with a
        name unique to this factory (azure-ai-ml keeps clouds in a global dict and never
        overwrites one). ``forget_ml_cloud`` undoes it.
        """
        from azure.ai.ml import MLClient

        kwargs: dict[str, Any] = {"enable_telemetry": False, "show_progress": False}
        if self.settings.ca_bundle:
            kwargs["connection_verify"] = self.settings.ca_bundle
        if self.settings.arm_endpoint:
            url = self.settings.endpoint
            if self._ml_cloud is None:
                self._ml_cloud = f"AmlguardCustom{os.getpid()}x{next(_cloud_names)}"
            kwargs["cloud"] = self._ml_cloud
            kwargs["cloud_metadata"] = {
                "azure_portal": url,
                "resource_manager": url,
                "active_directory": url,
                "aml_resource_id": url,
                "storage_endpoint": "core.windows.net",
                "registry_discovery_endpoint": url,
            }
        else:
            kwargs["cloud"] = resolve_cloud(self.settings.cloud).name
        kwargs.update(overrides)
        return MLClient(self.credential, subscription_id, resource_group, workspace, **kwargs)

    def monitor_scope(self, endpoint: str) -> str:
        """The token scope for an ingestion endpoint: its cloud's Azure Monitor audience.

        An endpoint under a sovereign cloud's monitor domain (``*.monitor.azure.us``/``.cn``)
        names its cloud; any other host (private DNS, the test emulator) uses ``--cloud``'s.
        """
        from urllib.parse import urlsplit

        host = (urlsplit(endpoint).hostname or "").lower()
        for audience in MONITOR_AUDIENCES.values():
            domain = audience.removeprefix("https://")
            if host == domain or host.endswith("." + domain):
                return f"{audience}/.default"
        return f"{MONITOR_AUDIENCES[resolve_cloud(self.settings.cloud).name.lower()]}/.default"

    def logs_ingestion(self, endpoint: str, **overrides: Any) -> LogsIngestionClient:
        """A Logs Ingestion client for a DCR or DCE endpoint (azure-monitor-ingestion).

        Retries are off (``retry_total=0``): the exporter retries itself, within its time
        budget and honouring ``Retry-After``, so a long wait never outlives the budget.
        """
        from azure.monitor.ingestion import LogsIngestionClient

        kwargs: dict[str, Any] = {
            "credential_scopes": [self.monitor_scope(endpoint)],
            "retry_total": 0,
        }
        if self.settings.ca_bundle:
            kwargs["connection_verify"] = self.settings.ca_bundle
        kwargs.update(overrides)
        return LogsIngestionClient(endpoint, self.credential, **kwargs)

    @property
    def ml_cloud_registered(self) -> bool:
        """True once ``ml_client`` registered a custom cloud that ``forget_ml_cloud`` undoes."""
        return self._ml_cloud is not None

    def forget_ml_cloud(self) -> None:
        """Remove the custom cloud ``ml_client`` registered (tests run several emulators)."""
        if self._ml_cloud is None:
            return
        from azure.ai.ml import _azure_environments

        _azure_environments._environments.pop(self._ml_cloud, None)
        if os.environ.get("AZUREML_CURRENT_CLOUD") == self._ml_cloud:
            del os.environ["AZUREML_CURRENT_CLOUD"]
        self._ml_cloud = None
