"""The packer hands out exactly the batches of the plain greedy packing: same rows, same sizes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.export.batches import Batch, encode_row, iter_batches


def _greedy(texts: list[str], limit: int) -> list[tuple[list[bytes], int]]:
    """The reference: each row in the current batch when its body stays <= ``limit``."""
    out: list[tuple[list[bytes], int]] = []
    rows: list[bytes] = []
    for text in texts:
        data = text.encode("utf-8")
        if len(data) > limit - 2:
            data = encode_row(json.loads(text), limit - 2)
        if rows and len(b"[" + b",".join([*rows, data]) + b"]") > limit:
            out.append((rows, len(b"[" + b",".join(rows) + b"]")))
            rows = []
        rows.append(data)
    if rows:
        out.append((rows, len(b"[" + b",".join(rows) + b"]")))
    return out


_texts = st.lists(
    st.builds(
        lambda n, m: json.dumps({"RowNumber": n, "Message": m}, ensure_ascii=False),
        st.integers(0, 10**6),
        st.text(max_size=700),
    ),
    max_size=40,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_texts, st.integers(min_value=300, max_value=4000))
def test_same_batches_as_the_greedy_reference(texts: list[str], limit: int) -> None:
    batches = list(iter_batches(texts, limit))
    assert [(b.rows, b.size) for b in batches] == _greedy(texts, limit)
    assert all(isinstance(b, Batch) and b.size == len(b.body) for b in batches)
