"""Datastore and storage-id parsing (AMLG-203/204) never raises on hostile rows and only ever
names a storage account the input spells."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.datastores import datastore_target, storage_account_of
from amlguard.scanner.inventory import Inventory

WS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
SETTINGS = settings(derandomize=True, max_examples=300, deadline=None)


@SETTINGS
@given(st.text(max_size=120))
def test_storage_account_of_is_a_prefix_naming_an_account(text: str) -> None:
    account = storage_account_of(text)
    assert account == "" or (text.startswith(account) and "/storageaccounts/" in account.lower())
    assert not account.endswith("/")


@SETTINGS
@given(st.sampled_from(["blob", "Dfs", "file"]), st.from_regex(r"[a-z0-9]{3,24}", fullmatch=True))
def test_sub_resources_stand_for_their_account(kind: str, name: str) -> None:
    account = (
        f"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/{name}"
    )
    assert storage_account_of(f"{account}/{kind}Services/default/containers/c") == account
    assert storage_account_of(account) == account


@SETTINGS
@given(JSON, JSON, JSON)
def test_hostile_datastore_rows_never_raise(props: Any, kind: Any, account: Any) -> None:
    row: dict[str, Any] = {
        "id": f"{WS}/datastores/d",
        "type": "microsoft.machinelearningservices/workspaces/datastores",
        "properties": props
        if not isinstance(props, dict)
        else {**props, "datastoreType": kind, "accountName": account},
    }
    got = datastore_target(Inventory([row]), row)
    if got is not None:
        target, group = got
        assert group in ("blob", "dfs", "file")
        assert isinstance(account, str) and target.endswith("/" + account.strip())
