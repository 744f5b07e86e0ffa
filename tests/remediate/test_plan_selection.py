"""A plan's recorded selection and ``apply --expect-digest``: parsing hostile values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.errors import InputError
from amlguard.remediate.plan import Plan, document_digest, load_plan, selection_of
from amlguard.remediate.replan import check_expected

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    doc["digest"] = document_digest(doc)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_selection_round_trips_and_is_covered_by_the_digest(tmp_path: Path) -> None:
    plan = Plan(selection=selection_of(["amlg-201", "AMLG-101"], ["amlg-201"]))
    doc = plan.to_dict()
    assert doc["selection"] == {
        "rules": ["AMLG-101", "AMLG-201"],
        "only": ["AMLG-201"],
        "named": [],
    }
    path = tmp_path / "p.json"
    plan.write(path)
    loaded = load_plan(path)
    assert loaded.selection == doc["selection"] and loaded.file_digest == doc["digest"]
    doc["selection"]["only"] = []
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="digest does not match"):
        load_plan(path)


def test_a_plan_without_a_selection_still_loads(tmp_path: Path) -> None:
    doc = Plan().to_dict()
    assert "selection" not in doc
    assert load_plan(_write(tmp_path, doc)).selection == {}


@settings(derandomize=True, max_examples=150)
@given(value=JSON)
def test_any_selection_value_loads_or_is_refused_naming_the_file(value: Any) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        doc = Plan().to_dict()
        doc["selection"] = value
        path = _write(Path(d), doc)
        try:
            plan = load_plan(path)
        except InputError as exc:
            assert str(path) in str(exc)
        else:
            assert set(plan.selection) == {"rules", "only", "named"}
            assert all(isinstance(x, str) for v in plan.selection.values() for x in v)


DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "given_digest", [DIGEST, DIGEST.upper(), "ab" * 32, f"  {DIGEST} ", "SHA256:" + "AB" * 32]
)
def test_the_expected_digest_in_any_spelling_matches(given_digest: str) -> None:
    check_expected(DIGEST, given_digest)


@settings(derandomize=True, max_examples=200)
@given(text=st.text(max_size=80))
def test_any_other_expected_digest_is_refused_with_a_message(text: str) -> None:
    if text.strip().lower().removeprefix("sha256:") == "ab" * 32:
        return
    with pytest.raises(InputError, match="--expect-digest"):
        check_expected(DIGEST, text)
