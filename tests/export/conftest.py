"""Fixtures: an emulator with the Logs Ingestion route, and a private state folder for the spool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator import ingestion
from tests.emulator.server import Emulator


@pytest.fixture
def ingest() -> Iterator[tuple[Emulator, ingestion.Ingestion]]:
    """A started emulator whose ingestion route accepts the example DCR's stream."""
    with Emulator() as emu:
        yield emu, ingestion.install(emu)


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$XDG_STATE_HOME`` for the test: the spool goes here, never in the real home."""
    folder = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder
