"""The parse cache is keyed on content: an edit that keeps a file's size and mtime is read."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from amlguard.scanner import parsecache
from tests.conftest import EXAMPLES, ROOT

AN_HOUR_AGO = time.time_ns() - 3600 * 10**9
DRIFTED = EXAMPLES / "drifted.json"

_CONFIG = (
    "suppressions:\n"
    "  - rule: AMLG-222\n"
    "    resource: '*'\n"
    "    reason: Registry public until the agents move (CHG-1042)\n"
    "    expires: {expires}\n"
)


def _amlguard(cache_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh interpreter, the cache enabled in ``cache_home``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache_home)}
    env.pop("AMLGUARD_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "amlguard", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write_settled(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(AN_HOUR_AGO, AN_HOUR_AGO))


def test_an_expiry_edit_keeping_size_and_mtime_is_not_served_stale(tmp_path: Path) -> None:
    config = tmp_path / "amlguard.yaml"
    args = ("check", "--snapshot", str(DRIFTED), "--rule", "AMLG-222", "--config", str(config))
    _write_settled(config, _CONFIG.format(expires="2099-12-31"))
    first = _amlguard(tmp_path / "cache", *args)
    assert first.returncode == EXIT_OK, first.stdout + first.stderr
    assert (tmp_path / "cache" / "amlguard" / "parsed").is_file()  # the config was cached
    before = os.stat(config)
    _write_settled(config, _CONFIG.format(expires="2000-12-31"))  # expired: same length
    after = os.stat(config)
    assert (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
    second = _amlguard(tmp_path / "cache", *args)
    assert second.returncode == EXIT_FINDINGS, second.stdout + second.stderr
    assert "expired on 2000-12-31" in second.stdout + second.stderr


def test_a_rule_file_edit_keeping_size_and_mtime_is_not_served_stale(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    body = (ROOT / "examples" / "policies" / "acme-rules.yaml").read_text("utf-8")
    rule = rules / "acme-rules.yaml"
    _write_settled(rule, body)
    args = ("policies", "validate", str(rules))
    first = _amlguard(tmp_path / "cache", *args)
    assert first.returncode == EXIT_OK, first.stdout + first.stderr
    # A same-length edit that breaks the file: a cached good parse would hide it.
    broken = body.replace("severity: medium", "severity: mediux", 1)
    assert len(broken) == len(body) and broken != body
    _write_settled(rule, broken)
    second = _amlguard(tmp_path / "cache", *args)
    assert second.returncode == 2 and "mediux" in second.stdout + second.stderr


def test_signature_tells_same_size_same_mtime_contents_apart(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    _write_settled(path, "a: 1\n")
    one = parsecache.signature(str(path))
    _write_settled(path, "a: 2\n")
    two = parsecache.signature(str(path))
    assert one is not None and two is not None
    assert one[:2] == two[:2] and one != two


def test_a_cached_value_is_not_served_for_other_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    path = tmp_path / "f.yaml"
    _write_settled(path, "a: 1\n")
    sig = parsecache.signature(str(path))
    parsecache.put("yaml", str(path), (sig,), parsecache.encode({"a": 1}))
    assert parsecache.get("yaml", str(path), (sig,)) == {"a": 1}
    _write_settled(path, "a: 2\n")
    assert parsecache.get("yaml", str(path), (parsecache.signature(str(path)),)) is None


def test_no_signature_for_what_is_not_a_regular_file(tmp_path: Path) -> None:
    assert parsecache.signature(str(tmp_path)) is None
    assert parsecache.signature(str(tmp_path / "missing.yaml")) is None
    assert parsecache.signature("/dev/zero") is None  # never read: it never ends
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(parsecache.signature(str(fifo))))
    worker.start()
    worker.join(10)
    alive = worker.is_alive()
    if alive:  # unblock it before failing, so the test run does not hang
        with open(fifo, "wb"):
            pass
        worker.join(10)
    assert not alive and got == [None]
