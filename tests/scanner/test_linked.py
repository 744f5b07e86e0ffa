"""linkedResources / privateLinkScopes read ids out of rows we did not write: any JSON is safe."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.linked import referenced_ids

PATHS = [
    "properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.armResourceId.resourceId",
    "properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.armResourceId.resourceId",
]
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.just("/subscriptions/x/y"),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["properties", "regionDetails", "id"]), _json, max_size=3))
def test_any_row_gives_only_resource_ids(row: dict[str, Any]) -> None:
    found = referenced_ids(row, PATHS)
    assert all(isinstance(i, str) and i.lower().startswith("/subscriptions/") for i in found)
    assert len({i.lower() for i in found}) == len(found)


def test_ids_in_path_order_deduplicated_case_insensitively() -> None:
    sa = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a"
    acr = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerRegistry/registries/b"
    region = {
        "storageAccountDetails": [
            {"systemCreatedStorageAccount": {"armResourceId": {"resourceId": sa}}}
        ],
        "acrDetails": [{"systemCreatedAcrAccount": {"armResourceId": {"resourceId": acr}}}],
    }
    row = {
        "properties": {
            "regionDetails": [
                region,
                {
                    **region,
                    "storageAccountDetails": [
                        {
                            "systemCreatedStorageAccount": {
                                "armResourceId": {"resourceId": sa.upper()}
                            }
                        }
                    ],
                },
            ]
        }
    }
    assert referenced_ids(row, PATHS) == [sa, acr]
