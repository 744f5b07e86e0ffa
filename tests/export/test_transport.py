"""The export's transport resolves proxies and CA bundle as requests would, once per export."""

from __future__ import annotations

import pytest
import requests

from amlguard.export.transport import session_settings, transport_for

ENDPOINT = "https://dcr-x.westeurope-1.ingest.monitor.azure.com"
_VARS = (
    *("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
    *("NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"HTTPS_PROXY": "http://proxy.example:3128"},
        {"https_proxy": "http://u:p@proxy.example:3128", "NO_PROXY": "localhost"},
        {"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": ".monitor.azure.com"},
        {"ALL_PROXY": "http://proxy.example:8080", "REQUESTS_CA_BUNDLE": "/etc/corp-ca.pem"},
        {"CURL_CA_BUNDLE": "/etc/curl-ca.pem"},
    ],
    ids=["none", "https", "https-no-other", "no-proxy-match", "all-proxy-ca", "curl-ca"],
)
def test_same_settings_as_requests_reads_per_request(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    expected = requests.Session().merge_environment_settings(ENDPOINT, {}, None, True, None)
    proxies, verify = session_settings(ENDPOINT, None)
    assert (proxies, verify) == (expected["proxies"], expected["verify"])
    # --ca-bundle wins over the environment, as the factory's connection_verify did
    assert session_settings(ENDPOINT, "/tmp/emulator-ca.pem")[1] == "/tmp/emulator-ca.pem"
    transport = transport_for(ENDPOINT, None)
    assert transport.session.trust_env is False  # no per-request environment walk, no .netrc
    assert transport.session.proxies == expected["proxies"]
    assert transport.connection_config.verify == expected["verify"]
    transport.close()
