"""A warm cache someone else wrote never changes a verdict: entries are trusted only under this
user's cache key, kept outside the cache folder (amlguard/cachefile.py)."""

from __future__ import annotations

import marshal
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amlguard import cachefile

ROOT = Path(__file__).resolve().parents[1]
DRIFTED = ROOT / "examples" / "estates" / "drifted.json"
MAGIC = b"amlguard-parsed\n"


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AMLGUARD_NO_CACHE", None)
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    env["XDG_STATE_HOME"] = str(tmp / "state")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _check(env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "amlguard", "check", "--snapshot", str(DRIFTED), "--compact"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, re.sub(r"scanned \S+", "scanned -", done.stdout)


def _warm(tmp: Path) -> tuple[dict[str, str], Path]:
    """A cache folder with the parse entries stored (rule files settled for over 2 s)."""
    env = _env(tmp)
    first = _check(env)
    assert first[0] == 1
    parsed = tmp / "cache" / "amlguard" / "parsed"
    for _ in range(3):
        if parsed.exists():
            break
        time.sleep(1)
        _check(env)
    assert parsed.exists(), "the parse cache was never written"
    return env, parsed


def _poisoned(blob: bytes) -> bytes:
    """The cache's payload with every cached rule's condition made 'always true'."""
    fmt, entries = marshal.loads(blob[len(MAGIC) + cachefile.TAG_BYTES :])
    weakened = 0
    for name, (sigs, value) in list(entries.items()):
        if name[0] != "rules":
            continue
        data, positions = marshal.loads(value)
        for rule in data["rules"]:
            rule["condition"] = {"value": True, "equals": True}
            weakened += 1
        entries[name] = (sigs, marshal.dumps((data, positions)))
    assert weakened > 10
    return marshal.dumps((fmt, entries))


def _key(env: dict[str, str]) -> bytes:
    return (Path(env["XDG_STATE_HOME"]) / "amlguard" / "cache-key").read_bytes()


def test_a_forged_parse_cache_changes_no_verdict(tmp_path: Path) -> None:
    env, parsed = _warm(tmp_path)
    code, out = _check(env)
    assert code == 1
    payload = _poisoned(parsed.read_bytes())
    # forged without the key: a CRC-era tag, a tag under another key, no tag at all
    for tag in (b"\0" * 16, cachefile._tag(os.urandom(32), MAGIC, payload), b""):
        parsed.write_bytes(MAGIC + tag + payload)
        assert _check(env) == (code, out)
    # the poisoning itself works: signed with this user's key it would weaken every rule
    parsed.write_bytes(MAGIC + cachefile._tag(_key(env), MAGIC, payload) + payload)
    assert _check(env)[0] == 0


def test_a_key_others_may_read_or_write_turns_the_caches_off(tmp_path: Path) -> None:
    env, parsed = _warm(tmp_path)
    key = Path(env["XDG_STATE_HOME"]) / "amlguard" / "cache-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    payload = _poisoned(parsed.read_bytes())
    parsed.write_bytes(MAGIC + cachefile._tag(_key(env), MAGIC, payload) + payload)
    for mode in (0o640, 0o604, 0o620, 0o666):
        key.chmod(mode)
        assert _check(env)[0] == 1  # the key is not trusted: nothing cached is read
    key.chmod(0o600)
    assert _check(env)[0] == 0  # (the same file, trusted again)


def test_a_key_that_is_a_link_or_of_the_wrong_size_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(cachefile, "_memo", None)
    made = cachefile.key()
    assert made is not None and len(made) == cachefile.KEY_BYTES
    path = Path(cachefile.key_file())
    assert cachefile._read_key(str(path)) == made
    link = tmp_path / "link"
    link.symlink_to(path)
    assert cachefile._read_key(str(link)) is None
    path.write_bytes(made + b"x")
    assert cachefile._read_key(str(path)) is None
    path.write_bytes(made[:-1])
    assert cachefile._read_key(str(path)) is None


def test_a_missing_key_is_made_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(cachefile, "_memo", None)
    first = cachefile.key()
    monkeypatch.setattr(cachefile, "_memo", None)
    assert cachefile.key() == first
    cache = tmp_path / "c" / "x"
    cachefile.write(str(cache), b"m\n", {"a": 1})
    assert cachefile.read(str(cache), b"m\n") == {"a": 1}
    assert cachefile.read(str(cache), b"other\n") is None
    # another user's state folder (a new key): the file reads as nothing
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state2"))
    assert cachefile.read(str(cache), b"m\n") is None


def test_an_unusable_state_folder_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a folder")
    env = _env(tmp_path)
    assert _check(env)[0] == 1
    assert not (tmp_path / "cache" / "amlguard" / "parsed").exists()
