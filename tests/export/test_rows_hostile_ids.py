"""Rows of findings whose ids and texts carry what no report may show: neutralised in every
column cut from them, and always encodable as the UTF-8 a request body is."""

from __future__ import annotations

import dataclasses
import functools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.export.batches import iter_batches
from amlguard.export.rows import _SCOPE, _sub_and_group, build_rows, encode_rows
from amlguard.export.values import UNSAFE as _UNSAFE
from tests.export.helpers import ESTATES, scan_result

_RESULT = scan_result(ESTATES[0])


def _rows_of(**changes: object) -> list[dict[str, object]]:
    result = dataclasses.replace(_RESULT, findings=list(_RESULT.findings))
    result.findings[0] = dataclasses.replace(result.findings[0], **changes)  # type: ignore[arg-type]
    texts = list(encode_rows(result, scan_id="fixed"))
    built = list(build_rows(result, scan_id="fixed"))
    assert [json.loads(t) for t in texts] == built
    for batch in iter_batches(texts):  # bodies are UTF-8 whatever the estate held
        assert json.loads(batch.body.decode("utf-8"))
    return built


def test_an_id_with_controls_is_neutralised_in_every_column_cut_from_it() -> None:
    rid = "/subscriptions/s\u202eub/resourceGroups/r\x1bg/providers/A.B/c/n\ud800"
    row = _rows_of(resource_id=rid)[1]
    for column in ("ResourceId", "SubscriptionId", "ResourceGroup"):
        value = str(row[column])
        assert not _UNSAFE.search(value) and "\ufffd" in value, column
    assert (row["SubscriptionId"], row["ResourceGroup"]) == ("s\ufffdub", "r\ufffdg")


def test_lone_surrogates_are_replaced_not_a_crash() -> None:
    row = _rows_of(message="bad \ud800 half", actual={"k\udc00": ["\udfff"]})[1]
    assert row["Message"] == "bad \ufffd half"
    assert row["Actual"] == {"k\ufffd": ["\ufffd"]}


def test_a_plain_id_is_sent_as_it_is() -> None:
    rid = "/subscriptions/5b0e/resourceGroups/ML-1/providers/Microsoft.Storage/storageAccounts/s"
    row = _rows_of(resource_id=rid)[1]
    assert (row["ResourceId"], row["SubscriptionId"], row["ResourceGroup"]) == (rid, "5b0e", "ML-1")


_segment = st.text(alphabet=st.sampled_from("ab/\t\x1b\u202e\ud800 -_"), max_size=6)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["subscriptions", "resourceGroups"]), _segment)))
def test_resource_columns_are_the_ids_parts_neutralised(parts: list[str]) -> None:
    rid = "/" + "/".join(parts)
    row = _rows_of(resource_id=rid)[1]
    match = _SCOPE.search(rid)
    sub, group = ("", "") if match is None else (match.group(1), match.group(2) or "")
    safe = functools.partial(_UNSAFE.sub, "\ufffd")
    assert row["ResourceId"] == safe(rid)
    assert row["ResourceGroup"] == safe(group)
    assert row["SubscriptionId"] == safe(sub or _sub_and_group(_RESULT.findings[0].instance)[0])
