"""AMLG-203 judges the storage a feature store's feature set versions name
(``properties.specification.path``): storage URLs, storage ids and datastore URIs resolve to
their account; a path of any other shape is an error naming the feature set, never a pass."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.featuresets import parse_spec_path, spec_path_of
from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.builders_rules4 import datastore_uri, feature_set_version, feature_store
from tests.builders_rules_a import datastore, extra_storage
from tests.scanner.harness import of_rule, scan

SETTINGS = settings(derandomize=True, max_examples=300, deadline=None)
ACCOUNT = st.from_regex(r"[a-z0-9]{3,24}", fullmatch=True)
DS_NAME = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_]{0,30}", fullmatch=True)
SEGMENT = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)


def _203(rows: list[dict[str, Any]]) -> list[Any]:
    return of_rule(scan(rows, rule_ids=["AMLG-203"]), "AMLG-203")


# ---------------------------------------------------------------- in-process verdicts


@pytest.mark.parametrize(
    ("template", "group"),
    [
        ("abfss://offline@{a}.dfs.core.windows.net/transactions/spec", "dfs"),
        ("wasbs://specs@{a}.blob.core.windows.net/txn", "blob"),
        ("https://{a}.blob.core.windows.net/specs/txn?sv=2024&sig=SECRETSIG", "blob"),
        ("/subscriptions/{s}/resourceGroups/{r}/providers/Microsoft.Storage/storageAccounts/{a}"
         "/blobServices/default/containers/specs", "blob"),
    ],
)  # fmt: skip
def test_source_store_named_by_url_or_id_is_judged(template: str, group: str) -> None:
    inst = feature_store(blueprint())
    account = extra_storage(inst, "fssourcestore", public=True, groups=(group,))
    path = template.format(a=account["name"], s=inst.sub, r=inst.rg)
    feature_set_version(inst, "transactions", path)
    (finding,) = _203(inst.rows())
    assert finding.status is Status.FAIL and finding.resource_id == account["id"]
    account["properties"]["publicNetworkAccess"] = "Disabled"
    (finding,) = _203(inst.rows())
    assert finding.status is Status.PASS, finding.message


def test_source_store_read_through_dfs_needs_a_dfs_endpoint() -> None:
    inst = feature_store(blueprint())
    account = extra_storage(inst, "fslake", groups=("blob",), hns=True)
    feature_set_version(inst, "txn", f"abfss://c@{account['name']}.dfs.core.windows.net/spec")
    (finding,) = _203(inst.rows())
    assert finding.status is Status.FAIL
    inst.add_endpoint("fslake-dfs", account, "dfs")
    assert [f.status for f in _203(inst.rows())] == [Status.PASS]


@pytest.mark.parametrize("long_form", [False, True])
def test_datastore_uri_resolves_through_the_datastore(long_form: bool) -> None:
    inst = feature_store(blueprint())
    account = extra_storage(inst, "fsdatastore", public=True, groups=("dfs",))
    datastore(inst, "source_lake", account, "AzureDataLakeGen2")
    uri = datastore_uri("source_lake", inst.workspace["id"] if long_form else "")
    feature_set_version(inst, "txn", uri.upper().replace("AZUREML://", "azureml://"))
    (finding,) = _203(inst.rows())
    assert finding.status is Status.FAIL and finding.resource_id == account["id"]


@pytest.mark.parametrize(
    "path",
    [
        "azureml:transactions_source:1",  # a data asset
        "./featuresets/transactions/spec",  # a local path
        "https://onelake.dfs.fabric.microsoft.com/ws/lake/Files/spec",  # OneLake
        "azureml://locations/westeurope/workspaces/abc/data/src/versions/1",
        "https://evil.example.com/spec?sig=SECRETSIG",
        "abfss://c@acct.dfs.core.windows.net.evil.example/spec",
        "s3://bucket/spec",
        "",
        42,
        {"path": "nested"},
    ],
)
def test_unknown_shapes_are_an_error_naming_the_feature_set(path: Any) -> None:
    inst = feature_store(blueprint())
    feature_set_version(inst, "txn_features", path, version="3")
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR
    assert "feature set txn_features version 3" in finding.message
    assert "SECRETSIG" not in finding.message


def test_missing_specification_is_an_error() -> None:
    inst = feature_store(blueprint())
    feature_set_version(inst, "txn", None)
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR and "specification path" in finding.message


def test_hostile_path_is_shown_neutralised() -> None:
    inst = feature_store(blueprint())
    feature_set_version(inst, "txn", "\x1b[31mhttps://x\u202e.example/\x07spec")
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR
    assert "\x1b" not in finding.message and "\u202e" not in finding.message


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        (datastore_uri("not_there"), "not in the scanned inventory"),
        (
            datastore_uri(
                "elsewhere",
                "/subscriptions/other/resourceGroups/rg/providers/"
                "Microsoft.MachineLearningServices/workspaces/other-ws",
            ),
            "workspace other-ws",
        ),
    ],
)
def test_datastore_the_scan_lacks_is_an_error(uri: str, why: str) -> None:
    inst = feature_store(blueprint())
    feature_set_version(inst, "txn", uri)
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR and why in finding.message
    assert "feature set txn" in finding.message


def test_datastore_on_no_storage_account_is_an_error() -> None:
    inst = feature_store(blueprint())
    store = datastore(inst, "gen1", {"name": "x"})
    store["properties"] = {"datastoreType": "AzureDataLakeGen1", "storeName": "adls1"}
    feature_set_version(inst, "txn", datastore_uri("gen1"))
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR and "AzureDataLakeGen1" in finding.message


def test_url_naming_an_account_outside_the_scan_is_an_error() -> None:
    inst = feature_store(blueprint())
    feature_set_version(inst, "txn", "abfss://c@ghostaccount.dfs.core.windows.net/spec")
    (finding,) = _203(inst.rows())
    assert finding.status is Status.ERROR
    assert "ghostaccount" in finding.message and "feature set txn" in finding.message


def test_only_feature_stores_read_their_feature_sets() -> None:
    inst = blueprint()  # kind Default: feature set rows are not its business
    account = extra_storage(inst, "fssourcestore", public=True)
    feature_set_version(inst, "txn", f"https://{account['name']}.blob.core.windows.net/s")
    feature_set_version(inst, "bad", "azureml:nope:1")
    assert _203(inst.rows()) == []


def test_every_version_is_judged_and_one_account_once() -> None:
    inst = feature_store(blueprint())
    a = extra_storage(inst, "fsstorea", public=True)
    b = extra_storage(inst, "fsstoreb")
    feature_set_version(inst, "txn", f"https://{a['name']}.blob.core.windows.net/s", "1")
    feature_set_version(inst, "txn", f"https://{a['name']}.blob.core.windows.net/s2", "2")
    feature_set_version(inst, "acct", f"wasbs://c@{b['name']}.blob.core.windows.net/s", "1")
    got = {(f.resource_id, f.status) for f in _203(inst.rows())}
    assert got == {(a["id"], Status.FAIL), (b["id"], Status.PASS)}


# ---------------------------------------------------------------- the path parser


@SETTINGS
@given(st.one_of(st.text(max_size=200), st.none(), st.integers(), st.binary(max_size=20)))
def test_parser_never_raises_and_keeps_no_secret(text: Any) -> None:
    got = parse_spec_path(text)
    if got is None:
        return
    assert isinstance(text, str)
    low = text.lower()
    if got.url is not None:
        assert got.url.account in low
    if got.datastore:
        assert got.datastore.lower() in low
    assert "?" not in (got.account_id + got.datastore + got.workspace_id)


@SETTINGS
@given(
    ACCOUNT,
    st.sampled_from(["abfss", "abfs", "wasbs", "wasb", "https", "HTTPS"]),
    st.sampled_from(["blob", "dfs", "file"]),
    st.lists(SEGMENT, max_size=4),
    st.text(alphabet="abcdef0123456789=&", max_size=30),
)
def test_storage_urls_name_their_account(
    account: str, scheme: str, service: str, segments: list[str], query: str
) -> None:
    user = "container@" if scheme.lower() != "https" else ""
    path = "/".join(segments)
    text = f"{scheme}://{user}{account}.{service}.core.windows.net/{path}?{query}"
    got = parse_spec_path(text)
    assert got is not None and got.url is not None
    assert (got.url.account, got.url.service) == (account, service)


@SETTINGS
@given(
    DS_NAME,
    st.lists(SEGMENT, max_size=4),
    st.booleans(),
    st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
    st.sampled_from(["azureml", "AzureML", "AZUREML"]),
)
def test_datastore_uris_name_their_datastore(
    name: str, segments: list[str], long_form: bool, ws: str, scheme: str
) -> None:
    tail = "/paths/" + "/".join(segments)
    if long_form:
        text = f"{scheme}://subscriptions/s1/resourceGroups/rg-1/workspaces/{ws}/datastores/{name}{tail}"
    else:
        text = f"{scheme}://datastores/{name}{tail}"
    got = parse_spec_path(text)
    assert got is not None and got.datastore == name and got.url is None
    if long_form:
        assert got.workspace_id.lower().endswith(f"/workspaces/{ws}")
        assert got.workspace_id.startswith("/subscriptions/s1/resourceGroups/rg-1/")
    else:
        assert got.workspace_id == ""


@SETTINGS
@given(st.text(max_size=60))
def test_other_azureml_shapes_are_refused(rest: str) -> None:
    text = "azureml:" + rest
    got = parse_spec_path(text)
    if got is not None:  # only the datastore forms are storage
        assert "/datastores/" in text.lower() and got.datastore


@SETTINGS
@given(st.recursive(st.one_of(st.none(), st.text(max_size=10), st.integers()),
                    lambda inner: st.dictionaries(st.text(max_size=14), inner, max_size=3),
                    max_leaves=8))  # fmt: skip
def test_spec_path_of_hostile_rows_never_raises(props: Any) -> None:
    value = spec_path_of({"properties": props})
    assert value is None or not isinstance(props, dict) or "specification" in str(props).lower()
