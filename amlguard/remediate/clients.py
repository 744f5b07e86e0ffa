"""The SDK clients remediation writes through, built by the one client factory.

``SdkClients`` adds what remediation needs on top of :class:`amlguard.azure.clients.ClientFactory`
(which constructs every client): one shared HTTP transport so concurrent workers reuse
connections, per-subscription caching, and raw ARM GET/PATCH with ARM's error codes.
azure.ai.ml and azure.mgmt.network are imported lazily, never on the ``check`` path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol

# The one api-version table (scan re-reads and remediation alike), re-exported for remediators.
from amlguard.azure.apiversions import (
    API_VERSIONS,
    AUTHZ_API_VERSION,
    ML_API_VERSION,
    api_version_of,
)

__all__ = ["API_VERSIONS", "AUTHZ_API_VERSION", "ML_API_VERSION", "api_version_of"]

PUBLIC_ARM = "https://management.azure.com"


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where ARM is and how to reach it; tests swap ``arm_endpoint`` and ``ca_bundle``."""

    credential: Any
    arm_endpoint: str = PUBLIC_ARM
    ca_bundle: str | None = None
    cloud: str = "AzureCloud"
    retry_total: int = 3
    polling_interval: float = 5.0
    pool_size: int = 32  # HTTP connections kept per host (at least the fix's concurrency)


class ArmError(Exception):
    """An ARM call failed: HTTP status (0: no answer), ARM error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_api_error(self) -> bool:
        """True when Azure could not be reached or failed itself (as opposed to refusing)."""
        return self.status == 0 or self.status >= 500 or self.status == 429


class RemediationClients(Protocol):
    """What remediators need: SDK clients per subscription plus raw ARM GET/PATCH."""

    def warm(self) -> None:
        """Import azure-ai-ml in the calling thread, before workers start.

        ``warnings.catch_warnings`` is process-global; importing inside a worker while other
        workers run would race on it (and azure-ai-ml's lazy imports are not thread-safe).
        """
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # azure-ai-ml raises ~470 marshmallow warnings
            import azure.ai.ml
            import azure.ai.ml.entities  # noqa: F401

    def ml(self, subscription_id: str, resource_group: str) -> Any: ...
    def authorization(self, subscription_id: str) -> Any: ...
    def network(self, subscription_id: str) -> Any: ...
    def get(self, resource_id: str, api_version: str | None = None) -> dict[str, Any] | None: ...
    def patch(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any: ...
    def put(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any: ...
    def close(self) -> None: ...


def as_arm_error(exc: BaseException) -> ArmError:
    """Map any azure-core / SDK exception to an ``ArmError`` with ARM's code and message."""
    if isinstance(exc, ArmError):
        return exc
    status = int(getattr(exc, "status_code", 0) or 0)
    response = getattr(exc, "response", None)
    if not status and response is not None:
        status = int(getattr(response, "status_code", 0) or 0)
    code, message = "", str(getattr(exc, "message", "") or exc)
    error = getattr(exc, "error", None)
    if error is not None and getattr(error, "code", None):
        code = str(error.code)
        message = str(getattr(error, "message", "") or message)
    elif response is not None:
        try:
            payload = json.loads(response.text())
            code = str(payload["error"]["code"])
            message = str(payload["error"].get("message", message))
        except Exception:  # not an ARM error envelope
            pass
    if not code:
        code = type(exc).__name__
    return ArmError(status, code, message.splitlines()[0] if message else code)


class SdkClients:
    """Builds and caches the real SDK clients (thread-safe); ``close`` undoes global state."""

    def __init__(self, settings: ClientSettings) -> None:
        from amlguard.azure.clients import AzureSettings, ClientFactory, resolve_cloud

        self.settings = settings
        self.endpoint = settings.arm_endpoint.rstrip("/")
        cloud = resolve_cloud(settings.cloud)
        custom = self.endpoint if self.endpoint != cloud.arm_endpoint else None
        self.factory = ClientFactory(
            AzureSettings(cloud=cloud.name, arm_endpoint=custom, ca_bundle=settings.ca_bundle),
            credential=settings.credential,
        )
        self._lock = threading.RLock()
        self._cache: dict[tuple[str, ...], Any] = {}
        self._saved_env = os.environ.get("AZUREML_CURRENT_CLOUD")
        self._shared_transport: Any = None
        self._session: Any = None

    # ---- common kwargs
    def _transport_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"retry_total": self.settings.retry_total}
        if self.settings.ca_bundle:
            kw["connection_verify"] = self.settings.ca_bundle
        kw["transport"] = self._transport()
        return kw

    def _transport(self) -> Any:
        """One HTTP transport for every client: connections (and TLS sessions) are reused.

        requests keeps 10 connections per host by default and throws the rest away after
        use; with concurrent workers that means a TLS handshake per extra request.
        """
        with self._lock:
            if self._shared_transport is None:
                import requests
                from azure.core.pipeline.transport import RequestsTransport
                from urllib3.util.retry import Retry

                session = requests.Session()
                adapter = requests.adapters.HTTPAdapter(
                    pool_connections=4,
                    pool_maxsize=max(10, self.settings.pool_size),
                    max_retries=Retry(total=False, redirect=False, raise_on_status=False),
                )
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session = session
                extra = (
                    {"connection_verify": self.settings.ca_bundle}
                    if self.settings.ca_bundle
                    else {}
                )
                self._shared_transport = RequestsTransport(
                    session=session, session_owner=False, **extra
                )
            return self._shared_transport

    def _mgmt_kwargs(self) -> dict[str, Any]:
        return {**self._transport_kwargs(), "polling_interval": self.settings.polling_interval}

    def _cached(self, key: tuple[str, ...], build: Any) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    # ---- SDK clients
    def warm(self) -> None:
        """Import azure-ai-ml in the calling thread, before workers start.

        ``warnings.catch_warnings`` is process-global; importing inside a worker while other
        workers run would race on it (and azure-ai-ml's lazy imports are not thread-safe).
        """
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # azure-ai-ml raises ~470 marshmallow warnings
            import azure.ai.ml
            import azure.ai.ml.entities  # noqa: F401

    def ml(self, subscription_id: str, resource_group: str) -> Any:
        """azure-ai-ml's MLClient for one resource group (imports azure.ai.ml: ~1 s once)."""

        def build() -> Any:
            import warnings

            # azure-ai-ml logs every request it starts at INFO; amlguard reports outcomes itself.
            logging.getLogger("azure.ai.ml").setLevel(logging.WARNING)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # azure-ai-ml raises ~470 marshmallow warnings
                return self.factory.ml_client(
                    subscription_id, resource_group, None, **self._transport_kwargs()
                )

        return self._cached(("ml", subscription_id.lower(), resource_group.lower()), build)

    def authorization(self, subscription_id: str) -> Any:
        """azure-mgmt-authorization's client for one subscription."""

        def build() -> Any:
            return self.factory.authorization(subscription_id, **self._mgmt_kwargs())

        return self._cached(("authz", subscription_id.lower()), build)

    def network(self, subscription_id: str) -> Any:
        """azure-mgmt-network's client for one subscription (imported lazily: ~0.4 s)."""

        def build() -> Any:
            return self.factory.network(subscription_id, **self._mgmt_kwargs())

        return self._cached(("network", subscription_id.lower()), build)

    def _pipeline(self) -> Any:
        def build() -> Any:
            return self.factory.arm_pipeline(
                transport=self._transport(), retry_total=self.settings.retry_total
            )

        return self._cached(("arm",), build)

    # ---- raw ARM
    def get(self, resource_id: str, api_version: str | None = None) -> dict[str, Any] | None:
        """ARM GET of one resource (None when it does not exist)."""
        from amlguard.scanner import ids

        version = api_version or api_version_of(ids.parse(resource_id).type)
        client = self._pipeline()
        request = client.get(f"{resource_id}?api-version={version}")
        try:
            response = client._pipeline.run(request).http_response
        except Exception as exc:
            raise as_arm_error(exc) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise _error_from(response)
        return json.loads(response.text() or "{}")

    def patch(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
        """ARM PATCH, waiting for the long-running operation when Azure starts one."""
        return self._write("PATCH", resource_id, body, api_version)

    def put(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
        """ARM PUT of a whole resource (for types whose PATCH only updates tags)."""
        return self._write("PUT", resource_id, body, api_version)

    def _write(self, method: str, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        client = self._pipeline()
        build = client.put if method == "PUT" else client.patch
        request = build(
            f"{resource_id}?api-version={api_version}",
            headers={"Content-Type": "application/json"},
            content=body,
        )
        try:
            pipeline_response = client._pipeline.run(request)
        except Exception as exc:
            raise as_arm_error(exc) from exc
        response = pipeline_response.http_response
        if response.status_code >= 400:
            raise _error_from(response)
        if response.status_code in ((200, 201) if method == "PUT" else (200,)):
            return json.loads(response.text() or "{}")
        poller = LROPoller(
            client,
            pipeline_response,
            lambda r: json.loads(r.http_response.text() or "{}"),
            ARMPolling(self.settings.polling_interval),
        )
        try:
            return poller.result()
        except Exception as exc:
            raise as_arm_error(exc) from exc

    def close(self) -> None:
        """Undo MLClient's process-global cloud registration and close transports."""
        if self.factory.ml_cloud_registered:
            with contextlib.suppress(Exception):  # azure.ai.ml changed its internals
                self.factory.forget_ml_cloud()
            if self._saved_env is None:
                os.environ.pop("AZUREML_CURRENT_CLOUD", None)
            else:
                os.environ["AZUREML_CURRENT_CLOUD"] = self._saved_env
        for client in list(self._cache.values()):
            closer = getattr(client, "close", None)
            if callable(closer):
                with contextlib.suppress(Exception):  # closing is best effort
                    closer()
        self._cache.clear()
        if self._session is not None:
            self._session.close()
            self._session = None
            self._shared_transport = None


def _error_from(response: Any) -> ArmError:
    try:
        payload = json.loads(response.text())
        err = payload.get("error") or {}
        return ArmError(response.status_code, str(err.get("code", "")), str(err.get("message", "")))
    except Exception:
        return ArmError(response.status_code, f"HTTP{response.status_code}", response.text()[:200])
