"""The HTTP transport of an export's client: the environment read once per export, not per request.

``requests`` re-reads the proxy variables (walking all of ``os.environ``, twice) and looks for a
``.netrc`` on every request when its session trusts the environment: a quarter of the CPU the SDK
spends on each of a large export's hundred requests. This session resolves the same settings
once, for the one endpoint every request of the export goes to: the proxies the environment
names for it (``HTTPS_PROXY``, ``NO_PROXY``...), the CA bundle (``--ca-bundle``, else
``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` as requests would read them). A ``.netrc`` entry is
not used: it would replace the bearer token with a password.
"""

from __future__ import annotations

import os
from typing import Any


def session_settings(endpoint: str, ca_bundle: str | None) -> tuple[dict[str, str], str | bool]:
    """(proxies, verify) as ``requests`` would resolve them from the environment for ``endpoint``."""
    from requests.utils import get_environ_proxies

    proxies = dict(get_environ_proxies(endpoint))
    verify: str | bool = ca_bundle or (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    return proxies, verify


def transport_for(endpoint: str, ca_bundle: str | None) -> Any:
    """An azure-core requests transport for ``endpoint`` with the settings resolved once."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    proxies, verify = session_settings(endpoint, ca_bundle)
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(proxies)
    return RequestsTransport(session=session, session_owner=True, connection_verify=verify)
