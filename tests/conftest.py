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

# <repo>/../shared in CI and /work/main; a git worktree sits one level deeper (/work/wt/NAME);
# AMLGUARD_SHARED names another place.
SHARED = (
    Path(os.environ["AMLGUARD_SHARED"]).resolve()
    if os.environ.get("AMLGUARD_SHARED")
    else next(
        (p / "shared" for p in ROOT.parents if (p / "shared" / "fixtures").is_dir()),
        ROOT.parent / "shared",
    )
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


def shared_missing() -> bool:
    """Whether the shared reference files (real Azure payloads, published schemas) are absent."""
    return not (SHARED / "fixtures").is_dir() or not (SHARED / "schemas").is_dir()


SHARED_HINT = (
    f"needs the shared reference files (real Azure payloads in fixtures/, published schemas in "
    f"schemas/), not found at {SHARED}: put the project's shared/ folder beside the repository "
    f"({ROOT.parent / 'shared'}) or name it with AMLGUARD_SHARED"
)


def _about_shared(exc: BaseException) -> bool:
    """Whether an exception is a missing file under the shared folder."""
    text = f"{exc} {getattr(exc, 'filename', '') or ''}"
    return str(SHARED) in text or "/shared/schemas/" in text or "/shared/fixtures/" in text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test that fails only because shared/ is missing skips, saying where to put it.

    With ``CI`` set it fails instead (with the same words), so CI can never lose the real
    payloads or schemas silently.
    """
    outcome = yield
    excinfo = outcome.excinfo
    if excinfo is None or not shared_missing() or not _about_shared(excinfo[1]):
        return
    if os.environ.get("CI"):
        outcome.force_exception(pytest.fail.Exception(f"CI is set and this test {SHARED_HINT}"))
    else:
        outcome.force_exception(pytest.skip.Exception(f"this test {SHARED_HINT}"))


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
