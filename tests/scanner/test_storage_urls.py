"""AMLG-203: a feature store's offline store (or any connection) named only by URL resolves to
the storage row by account name and the cloud's storage suffix; an account the inventory lacks
is ``error`` naming it, never dropped. The URL parser is property-tested; the estates are judged
in-process, live (emulator, real SDK clients) and from a snapshot."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.scanner.storageurl import (
    MAX_URL,
    SERVICES,
    STORAGE_SUFFIXES,
    parse_storage_url,
    storage_suffix,
)
from tests.builders import blueprint
from tests.builders_rules3 import offline_store
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator
from tests.scanner import harness

ACCOUNT = "fsofflinest"
SECRET = "sig=c2VjcmV0LXRva2Vu"

# ---------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("abfss://offline@acct01.dfs.core.windows.net/fs/x", ("acct01", "dfs")),
        ("abfs://c@ACCT01.DFS.CORE.WINDOWS.NET", ("acct01", "dfs")),
        ("wasbs://data@acct01.blob.core.windows.net/a/b.parquet", ("acct01", "blob")),
        ("https://acct01.blob.core.windows.net/container?sv=1&" + SECRET, ("acct01", "blob")),
        ("https://acct01.file.core.windows.net:443/share", ("acct01", "file")),
        ("acct01.queue.core.windows.net", ("acct01", "queue")),
        ("https://acct01.privatelink.blob.core.windows.net/", ("acct01", "blob")),
        ("https://acct01.dfs.core.chinacloudapi.cn/x", ("acct01", "dfs")),
        ("https://acct01.blob.core.usgovcloudapi.net.", ("acct01", "blob")),
    ],
)
def test_storage_urls_name_their_account(url: str, expected: tuple[str, str]) -> None:
    got = parse_storage_url(url)
    assert got is not None and (got.account, got.service) == expected
    assert SECRET not in got.endpoint and "@" not in got.endpoint and "/" not in got.host


@pytest.mark.parametrize(
    "url",
    [
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct01",
        "azureml://datastores/workspaceblobstore/paths/x",
        "https://acct01.blob.core.windows.net.evil.example/x",
        "https://acct01.search.windows.net",
        "https://pypi.org/simple",
        "https://ab.blob.core.windows.net",  # too short for an account name
        "https://acct_01.blob.core.windows.net",
        "https://acct01.blob.core.windows.com",
        "ftp://acct01.blob.core.windows.net/x",
        "adl://acct01.azuredatalakestore.net/x",
        "https://acct01.blob.core.windows.net:99999999/x",
        "",
        "https://" + "a" * MAX_URL + ".blob.core.windows.net",
    ],
)
def test_other_strings_name_no_account(url: str) -> None:
    assert parse_storage_url(url) is None


def test_non_strings_name_no_account() -> None:
    assert parse_storage_url(None) is None
    assert parse_storage_url({"url": "https://acct01.blob.core.windows.net"}) is None


def test_storage_suffix_by_cloud_name() -> None:
    assert storage_suffix("azurechinacloud") == "core.chinacloudapi.cn"
    assert storage_suffix(" AzureCloud ") == "core.windows.net"
    assert storage_suffix("AzureStackHub") == ""


_accounts = st.text(string.ascii_lowercase + string.digits, min_size=3, max_size=24)
_segments = st.text(string.ascii_letters + string.digits + "-_.~%=&", max_size=30)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    account=_accounts,
    service=st.sampled_from(SERVICES),
    suffix=st.sampled_from(sorted(STORAGE_SUFFIXES.values())),
    scheme=st.sampled_from(["https://", "http://", "abfss://c@", "wasbs://data@", "", "HTTPS://"]),
    upper=st.booleans(),
    path=_segments,
    query=_segments,
)
def test_any_well_formed_storage_url_names_its_account_and_nothing_else(
    account: str, service: str, suffix: str, scheme: str, upper: bool, path: str, query: str
) -> None:
    host = f"{account}.{service}.{suffix}"
    url = f"{scheme}{host.upper() if upper else host}/{path}?{query}"
    got = parse_storage_url(url)
    assert got is not None
    assert (got.account, got.service, got.suffix) == (account, service, suffix)
    assert got.endpoint == f"https://{host}"


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_and_only_names_valid_accounts(text: str) -> None:
    got = parse_storage_url(text)
    if got is not None:
        assert 3 <= len(got.account) <= 24 and got.account.isalnum()
        assert got.service in SERVICES and got.suffix in STORAGE_SUFFIXES.values()
        assert got.account in text.lower()


@settings(derandomize=True, max_examples=200, deadline=None)
@given(account=_accounts, tail=st.sampled_from([".evil.example", ".com", "x", ".net.cn"]))
def test_a_storage_suffix_followed_by_more_is_not_storage(account: str, tail: str) -> None:
    assert parse_storage_url(f"https://{account}.blob.core.windows.net{tail}/x") is None


# ---------------------------------------------------------------- AMLG-203 estates


def _203(findings_: list) -> list:
    return [f for f in findings_ if f.rule_id == "AMLG-203"]


def test_private_offline_store_named_by_url_passes() -> None:
    inst = blueprint()
    offline_store(inst)
    (f,) = _203(harness.scan(inst.rows(), rule_ids=["AMLG-203"]))
    assert f.status is Status.PASS and f.resource_id.endswith(f"/storageAccounts/{ACCOUNT}")


def test_public_offline_store_named_by_url_fails() -> None:
    inst = blueprint()
    offline_store(inst, public=True)
    (f,) = _203(harness.scan(inst.rows(), rule_ids=["AMLG-203"]))
    assert f.status is Status.FAIL and ACCOUNT in f.message


def test_offline_store_missing_from_the_inventory_is_an_error_naming_it() -> None:
    inst = blueprint()
    offline_store(inst, in_scan=False, url=f"https://{ACCOUNT}.dfs.core.windows.net/c?{SECRET}")
    (f,) = _203(harness.scan(inst.rows(), rule_ids=["AMLG-203"]))
    assert f.status is Status.ERROR
    assert ACCOUNT in f.message and "OfflineStoreConnectionName" in f.message
    assert f.resource_id == f"https://{ACCOUNT}.dfs.core.windows.net"
    assert SECRET not in json.dumps(f.to_dict())


def test_url_of_another_cloud_is_an_error_saying_so() -> None:
    inst = blueprint()
    offline_store(inst, url=f"https://{ACCOUNT}.dfs.core.chinacloudapi.cn/c")
    (f,) = _203(harness.scan(inst.rows(), rule_ids=["AMLG-203"]))
    assert f.status is Status.ERROR and "core.chinacloudapi.cn" in f.message


def test_url_resolves_by_the_scans_cloud() -> None:
    inst = blueprint()
    offline_store(inst, url=f"https://{ACCOUNT}.dfs.core.chinacloudapi.cn/c")
    found = harness.scan(inst.rows(), rule_ids=["AMLG-203"], cloud="AzureChinaCloud")
    (f,) = _203(found)
    assert f.status is not Status.ERROR and f.resource_id.endswith(ACCOUNT)


def test_offline_store_without_its_dfs_endpoint_fails() -> None:
    """The URL's dfs service is the group demanded: without that endpoint the store fails."""
    inst = blueprint()
    offline_store(inst)
    dfs = [k for k in inst.endpoints if k.startswith(ACCOUNT)]
    for key in dfs:
        inst.remove_endpoint(key)
    (f,) = _203(harness.scan(inst.rows(), rule_ids=["AMLG-203"]))
    assert f.status is Status.FAIL


@pytest.mark.parametrize(
    ("knobs", "status"),
    [
        ({}, "pass"),
        ({"public": True}, "fail"),
        ({"in_scan": False}, "error"),
    ],
)
def test_offline_store_live_equals_snapshot(knobs: dict, status: str, tmp_path: Path) -> None:
    inst = blueprint()
    offline_store(inst, **knobs)
    rows = inst.rows()
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu))
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = scan(SnapshotSource([snap]))
    assert [f.status.value for f in _203(live.findings)] == [status]
    assert findings(live) == findings(offline)


def test_a_connection_target_keeps_no_token_or_password() -> None:
    from amlguard.scanner.sources.childrows import _secretless

    row = {
        "id": "/subscriptions/s/resourceGroups/g/providers/x/workspaces/w/connections/c",
        "properties": {
            "category": "AzureBlob",
            "target": f"https://u:pw@{ACCOUNT}.blob.core.windows.net/c/x?sv=1&{SECRET}#frag",
            "credentials": {"key": "k"},
        },
    }
    props = _secretless(row)["properties"]
    assert props == {
        "category": "AzureBlob",
        "target": f"https://u@{ACCOUNT}.blob.core.windows.net/c/x",
    }
    abfss = {"properties": {"target": f"abfss://offline@{ACCOUNT}.dfs.core.windows.net/m"}}
    assert _secretless(abfss)["properties"]["target"].startswith("abfss://offline@")
    arm = {"properties": {"target": "/subscriptions/s/resourceGroups/g"}}
    assert _secretless(arm)["properties"]["target"] == "/subscriptions/s/resourceGroups/g"
