"""Error messages quote data amlguard did not write: no control or bidi character from it
reaches the terminal (redteam7 item 9), whichever message forgot to escape it."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli, terminal
from amlguard.errors import EXIT_USAGE, InputError
from tests.conftest import EXAMPLES

UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def test_a_hostile_type_segment_in_an_id_is_escaped(tmp_path: Path) -> None:
    doc = json.loads((EXAMPLES / "compliant.json").read_text())
    row = next(r for r in doc["data"] if r["type"] == "microsoft.storage/storageaccounts")
    row["id"] = row["id"].replace("storageAccounts", "storageAccounts\x07\u202egnp.exe\u2028\x85")
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(path)])
    assert result.exit_code == EXIT_USAGE
    assert "contradicts the type its id names" in result.stderr
    assert not UNSAFE.search(result.stderr)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_no_error_message_carries_a_control_or_bidi_character(data: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as ended:
        terminal.fail(InputError(f"bad value {data} in the file"))
    assert ended.value.code == EXIT_USAGE
    text = err.getvalue()
    assert text.startswith("amlguard: bad value") and not UNSAFE.search(text.replace("\n", " "))
