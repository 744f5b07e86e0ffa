"""Pytest fixtures for the emulator: a fresh one per test (starting one costs a few ms)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulator.credentials import FakeCredential
from tests.emulator.server import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started, empty emulator; load estates with ``emulator.load(rows)``."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def fake_credential() -> FakeCredential:
    return FakeCredential()
