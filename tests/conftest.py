"""Shared fixtures: the loopback-only network guard and the estate helpers."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# <repo>/../shared in CI and /work/main; a git worktree sits one level deeper (/work/wt/NAME).
SHARED = next(
    (p / "shared" for p in ROOT.parents if (p / "shared" / "fixtures").is_dir()),
    ROOT.parent / "shared",
)
FIXTURES = SHARED / "fixtures" / "azure-rest-api-specs"
EXAMPLES = ROOT / "examples" / "estates"

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "ip6-localhost"}
_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in _LOOPBACK and not name.startswith("127."):
        raise OSError(f"test network guard: refused to resolve non-loopback host {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach anything but 127.0.0.0/8 or ::1 (a silent fall-back to Azure fails)."""
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


_CACHE_HOME = tempfile.TemporaryDirectory(prefix="amlguard-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """The suite never writes into the user's real ~/.cache (parse cache, schema verdicts).

    Set before collection (some parametrizations load the rule pack), inherited by every
    subprocess; tests that study the cache point it at their own folder.
    """
    os.environ["XDG_CACHE_HOME"] = _CACHE_HOME.name
    # Nor into ~/.local/state (the recent-fixes record); tests that study it use their own.
    os.environ["XDG_STATE_HOME"] = os.path.join(_CACHE_HOME.name, "state")


from tests.emulator.fixtures import emulator, fake_credential  # noqa: E402,F401  (fixtures)
