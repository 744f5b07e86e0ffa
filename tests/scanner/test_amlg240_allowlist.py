"""AMLG-240 judges a private endpoint connection by its one good state: any status that cannot
be read as Approved (absent, null, blank, padded, not ARM's) is counted (redteam9 #13)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.scanner.model import Status
from amlguard.settings import CheckSettings
from amlguard.settingtypes import Selection

DRIFTED = Path(__file__).resolve().parents[2] / "examples" / "estates" / "drifted.json"
_DOC = json.loads(DRIFTED.read_text(encoding="utf-8"))


def _statuses(doc: Any, set_to: Any) -> Any:
    """The estate with every connection state's status replaced by ``set_to(old)``."""
    doc = copy.deepcopy(doc)
    rows = doc["data"] if isinstance(doc, dict) else doc
    for row in rows:
        for conn in (row.get("properties") or {}).get("privateEndpointConnections") or []:
            state = conn["properties"]["privateLinkServiceConnectionState"]
            set_to(state)
    return doc


def _fails(doc: Any, tmp: Path) -> list[str]:
    path = tmp / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    chosen = Selection(rule_ids=("AMLG-240",))
    result = app.prepare_scan(CheckSettings(snapshots=(path,), selection=chosen)).result
    return sorted(f.resource_id for f in result.findings if f.status is Status.FAIL)


def test_every_connection_approved_passes(tmp_path: Path) -> None:
    doc = _statuses(_DOC, lambda s: s.update(status="Approved"))
    assert _fails(doc, tmp_path) == []
    doc = _statuses(_DOC, lambda s: s.update(status="approved"))  # ARM's case varies by RP
    assert _fails(doc, tmp_path) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(status=None),
        lambda s: s.pop("status"),
        lambda s: s.update(status=""),
        lambda s: s.update(status=" Approved "),
        lambda s: s.update(status="Approved\u00a0"),
        lambda s: s.update(status="Pending"),
        lambda s: s.update(status="Disconnected"),
        lambda s: s.update(status="Unknown"),
    ],
    ids=["null", "absent", "blank", "padded", "nbsp", "pending", "disconnected", "not ARM's"],
)
def test_a_status_not_read_as_approved_is_counted(change: Any, tmp_path: Path) -> None:
    assert _fails(_statuses(_DOC, change), tmp_path) != []


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.text(max_size=12))
def test_any_status_text_but_approved_fails(status: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        failed = _fails(_statuses(_DOC, lambda s: s.update(status=status)), Path(folder))
    assert (failed == []) == (status.lower() == "approved")
