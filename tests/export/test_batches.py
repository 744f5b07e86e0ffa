"""Batches: every row once, in order, each request body under the limit, close to the minimum."""

from __future__ import annotations

import gzip
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.export.batches import MAX_BATCH_BYTES, batch_of, make_batches, minimum_requests

_rows = st.lists(
    st.fixed_dictionaries({"RowNumber": st.integers(0, 10**6), "Message": st.text(max_size=400)}),
    max_size=60,
)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_rows, st.integers(min_value=60, max_value=3000))
def test_batches_keep_every_row_in_order_under_the_limit(rows: list[dict], limit: int) -> None:
    batches = make_batches(rows, limit)
    sent = [row for b in batches for row in json.loads(b.body)]
    assert sent == rows
    for b in batches:
        assert len(b.body) == b.size
        if len(b.rows) > 1:
            assert b.size <= limit
        assert json.loads(gzip.decompress(b.gzipped())) == json.loads(b.body)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=50), min_size=1, max_size=400))
def test_small_rows_need_at_most_one_request_more_than_the_minimum(texts: list[str]) -> None:
    batches = make_batches(({"Message": t} for t in texts), 2000)
    assert len(batches) <= minimum_requests(batches, 2000) + 1 + len(batches) // 20


def test_halves_split_rows_and_sizes_exactly() -> None:
    batch = make_batches([{"n": i} for i in range(7)])[0]
    left, right = batch.halves()
    assert left.rows + right.rows == batch.rows
    assert (left.size, right.size) == (len(left.body), len(right.body))
    assert batch_of([]).size == 2


def test_a_row_bigger_than_a_batch_is_cut_to_fit() -> None:
    huge = {"Message": "m" * 900_000, "Remediation": "r" * 900_000, "Actual": ["a" * 500_000]}
    (batch,) = make_batches([huge])
    assert batch.size <= MAX_BATCH_BYTES
    row = json.loads(batch.body)[0]
    assert row["Message"].startswith("mmm") and row["Message"].endswith("[truncated by amlguard]")
