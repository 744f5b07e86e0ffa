"""Excerpts keep resource ids readable (an error that names '<redacted>' names nothing) while
secrets next to them, or pasted into them, stay redacted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.excerpt import excerpt, quoted, redact

WS = (
    "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint/"
    "providers/Microsoft.MachineLearningServices/workspaces/blueprint-dev-mlw"
)
KEY = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg9PQ=="
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def test_a_resource_id_is_not_a_secret() -> None:
    assert redact(f"resource {WS} is also at data[2]") == f"resource {WS} is also at data[2]"
    assert redact(WS.upper()) == WS.upper()


def test_a_long_id_is_shown_by_its_end() -> None:
    assert quoted(WS) == "'..." + WS[-55:] + "'"
    assert excerpt(WS).endswith("/workspaces/blueprint-dev-mlw")


def test_secrets_beside_or_inside_an_id_stay_redacted() -> None:
    text = redact(f"{WS} AccountKey={KEY} {JWT} {KEY}")
    assert KEY not in text and JWT not in text and WS in text
    pasted = f"/subscriptions/s/resourceGroups/r/providers/X.Y/z/{KEY[:40]}"
    assert KEY[:40] not in redact(pasted)


@settings(derandomize=True, max_examples=200)
@given(prefix=st.text(max_size=20), suffix=st.text(max_size=20))
def test_a_key_is_redacted_whatever_surrounds_it(prefix: str, suffix: str) -> None:
    assert KEY not in redact(prefix + " " + KEY + " " + suffix)
    assert JWT not in redact(prefix + " " + JWT + " " + suffix)
