"""uniqueString() and guid() give what Azure Resource Manager gives."""

from __future__ import annotations

import uuid

import pytest

from amlguard.iac.hashing import arm_guid, murmur64, unique_string

# Values computed by Azure for real deployments, as recorded in public test suites found with
# code search: the RG id is from a real resource group's deployment output (a C# test class
# "TestArmFunctions" that checks its port of uniqueString against it), "tyeth" from the same.
VECTORS = [
    ("tyeth", "zcztcwvu6iyg6"),
    (
        "/subscriptions/3c7f956b-55ee-4686-9d30-da1eb631dc59/resourceGroups/rg-devopsshieldek010dev",
        "fd63l2gacbtca",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VECTORS)
def test_unique_string_matches_azure(text: str, expected: str) -> None:
    assert unique_string(text) == expected


def test_unique_string_joins_arguments_with_hyphens() -> None:
    assert unique_string("a", "b") == unique_string("a-b")
    assert unique_string("a", "b") != unique_string("ab")


def test_unique_string_shape() -> None:
    for text in ("", "x", "a" * 7, "a" * 8, "a" * 9, "ü" * 5):
        out = unique_string(text)
        assert len(out) == 13 and set(out) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_murmur_tail_lengths_differ() -> None:
    # every tail length 0..7 takes its own branch; all must hash differently
    hashes = {murmur64(b"abcdefgh"[:n] + b"12345678") for n in range(9)}
    assert len(hashes) == 9


def test_guid_is_uuid5_in_arm_namespace() -> None:
    namespace = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
    assert arm_guid("a", "b", "c") == str(uuid.uuid5(namespace, "a-b-c"))
    got = uuid.UUID(arm_guid("/subscriptions/x/resourceGroups/rg", "role"))
    assert got.version == 5
    assert arm_guid("a") != arm_guid("A")
