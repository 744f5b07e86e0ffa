"""A Virtual WAN's ``type`` is read strictly (redteam9 #13, second half): ``Basic`` or
``Standard`` in any case, trimmed; absent is the API's default, Standard; anything else
(null, a list, an object, a number, ``""``, another word) is ``error`` naming the
WAN, never "Standard" (which made a Basic WAN's failing zones pass)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import vwan
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.shapes import MalformedValue

ROOT = Path(__file__).resolve().parents[2]
DRIFTED = ROOT / "examples" / "estates" / "virtual-wan-drifted.json"
WAN = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualWans/w"

values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=10)
    | st.lists(st.sampled_from(["Basic", "Standard"]), max_size=2)
    | st.dictionaries(st.just("value"), st.sampled_from(["Basic", "Standard"]))
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(values)
def test_the_type_is_basic_standard_absent_or_error(value: Any) -> None:
    row = {"id": WAN, "properties": {"type": value}}
    word = value.strip().lower() if isinstance(value, str) else None
    if word == "standard":
        assert vwan.wan_transits(row) is True
    elif word == "basic":
        assert vwan.wan_transits(row) is False
    else:
        with pytest.raises(MalformedValue, match=r"properties\.type of .*virtualWans/w"):
            vwan.wan_transits(row)


@pytest.mark.parametrize("props", [None, [], "Basic", 3])
def test_properties_that_are_not_an_object(props: Any) -> None:
    row: dict[str, Any] = {"id": WAN}
    if props is not None:
        row["properties"] = props
        with pytest.raises(Undeterminable):
            vwan.wan_transits(row)
    else:
        assert vwan.wan_transits(row) is True  # absent: Standard, the API's default
        assert vwan.wan_transits({"id": WAN, "properties": {}}) is True


@pytest.mark.parametrize("value", [["Basic"], {"value": "Basic"}, "", 0, "basic-ish", None])
def test_cli_a_malformed_wan_type_is_error_not_standard(tmp_path: Path, value: Any) -> None:
    doc = json.loads(DRIFTED.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    rows = doc["data"] if isinstance(doc, dict) else doc
    wans = [r for r in rows if str(r["type"]).lower() == "microsoft.network/virtualwans"]
    assert wans
    for row in wans:
        row["properties"]["type"] = value
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "amlguard", "check", "--snapshot", str(path), "--rule", "AMLG-301"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr
    assert "PASSED" not in done.stdout
    assert "properties.type" in done.stdout
