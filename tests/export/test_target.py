"""The ingestion URL: exactly the portal's shape, https only, no secrets echoed back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.azure.clients import AzureSettings, ClientFactory
from amlguard.errors import EXIT_USAGE, InputError
from amlguard.export import parse_target

DCR = "dcr-00112233445566778899aabbccddeeff"
GOOD = f"https://amlguard-abcd.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/{DCR}/streams/Custom-AmlGuardFindings"


def test_the_portal_url_parses() -> None:
    target = parse_target(GOOD)
    assert target.endpoint == "https://amlguard-abcd.westeurope-1.ingest.monitor.azure.com"
    assert target.rule_id == DCR and target.stream == "Custom-AmlGuardFindings"
    assert target.url == GOOD
    assert parse_target(GOOD + "?api-version=2023-01-01").url == GOOD
    assert (
        parse_target(
            GOOD.upper()
            .replace("HTTPS", "https")
            .replace("CUSTOM-AMLGUARDFINDINGS", "Custom-AmlGuardFindings")
        ).rule_id
        == DCR
    )
    assert parse_target("https://127.0.0.1:8443" + GOOD.split(".com", 1)[1]).endpoint == (
        "https://127.0.0.1:8443"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (GOOD.replace("https", "http", 1), "https"),
        (GOOD.replace(DCR, "dcr-amlguard-findings"), "immutable id"),
        (GOOD.replace(DCR, "/subscriptions/x/resourceGroups/y"), "path"),
        (GOOD.replace("Custom-AmlGuardFindings", "AmlGuardFindings"), "custom stream"),
        (GOOD.replace("/streams/", "/stream/"), "path"),
        (GOOD + "/extra", "path"),
        (GOOD + "?sig=secret-value", "query"),
        (GOOD + "#frag", "fragment"),
        ("https:///dataCollectionRules/x", "host"),
        ("not a url", "https"),
        ("", "https"),
    ],
)
def test_anything_else_is_a_usage_error(url: str, why: str) -> None:
    with pytest.raises(InputError) as err:
        parse_target(url)
    assert err.value.exit_code == EXIT_USAGE
    assert why in str(err.value)
    assert "secret-value" not in str(err.value)


def test_credentials_in_the_url_are_refused_and_never_shown() -> None:
    url = GOOD.replace("https://", "https://user:hunter2@")
    with pytest.raises(InputError) as err:
        parse_target(url)
    assert "hunter2" not in str(err.value) and "user name or password" in str(err.value)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_is_a_usage_error(text: str) -> None:
    try:
        target = parse_target(text)
    except InputError as exc:
        assert str(exc).isprintable()
        return
    assert target.url.startswith("https://")


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.sampled_from(["https://", "http://", ""]), st.text(max_size=40), st.text(max_size=40))
def test_url_shaped_text_parses_or_is_a_usage_error(scheme: str, host: str, tail: str) -> None:
    try:
        target = parse_target(f"{scheme}{host}/dataCollectionRules/{DCR}/streams/Custom-{tail}")
    except InputError as exc:
        assert "expected https://<endpoint>" in str(exc)
    else:
        assert scheme == "https://" and target.stream == f"Custom-{tail}"


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope"),
    [
        (
            "AzureCloud",
            "https://x.westeurope-1.ingest.monitor.azure.com",
            "https://monitor.azure.com/.default",
        ),
        (
            "AzureCloud",
            "https://x.usgovvirginia-1.ingest.monitor.azure.us",
            "https://monitor.azure.us/.default",
        ),
        ("AzureUSGovernment", "https://127.0.0.1:9", "https://monitor.azure.us/.default"),
        (
            "AzureChinaCloud",
            "https://x.chinaeast2-1.ingest.monitor.azure.cn",
            "https://monitor.azure.cn/.default",
        ),
        ("azurechinacloud", "https://dce.private.example", "https://monitor.azure.cn/.default"),
    ],
)
def test_token_scope_follows_the_cloud(cloud: str, endpoint: str, scope: str) -> None:
    assert ClientFactory(AzureSettings(cloud=cloud), object()).monitor_scope(endpoint) == scope
