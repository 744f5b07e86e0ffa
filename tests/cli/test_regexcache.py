"""The entry point's regex code cache: the same compiled patterns, never a difference."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import cachefile, regexcache
from tests.conftest import ROOT

_PATTERNS: list[tuple[Any, int]] = [
    (r"abc", 0),
    (r"(?P<name>[a-z]+)-(\d+)(?:x|y)?", 0),
    (r"^/subscriptions/([^/]+)/resourceGroups/(?P<rg>[^/]+)", re.IGNORECASE),
    (r":(?<![\" \t\r\n]:)", 0),
    (r"\bfield\(\s*'((?:[^']|'')*)'\s*\)", 0),
    (r"(?i)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}", 0),
    (r"[\x00-\x1f\u2028\u2029\ud800-\udfff]", 0),
    (r"x{2,}?(a|b)*?\Z", re.MULTILINE | re.DOTALL),
    (r"(?x) a  b # comment", 0),
    (r"\w+", re.ASCII),
    (b"[\x80-\xff]+(?P<tail>\\d)", 0),
    (b"(__libc_init)|(GLIBC_([0-9.]+))", 0),
    (r"(a)(b)?(?(2)c|d)", 0),
]


@pytest.fixture()
def front(monkeypatch: pytest.MonkeyPatch) -> dict[Any, Any]:
    """The caching front, wired to the real compiler without replacing ``re``'s own."""
    entries: dict[Any, Any] = {}
    monkeypatch.setattr(regexcache, "_entries", entries)
    monkeypatch.setattr(regexcache, "_used", set())
    monkeypatch.setattr(regexcache, "_state", {"compiled": False, "installed": False})
    monkeypatch.setattr(regexcache, "_compiler", re._compiler)  # type: ignore[attr-defined]
    monkeypatch.setattr(regexcache, "_real", re._compiler.compile)  # type: ignore[attr-defined]
    return entries


def _same(got: re.Pattern[Any], want: re.Pattern[Any]) -> None:
    # Pattern equality compares the pattern, the flags and the compiled code word for word.
    assert got == want
    assert (got.flags, got.groups, dict(got.groupindex)) == (
        want.flags,
        want.groups,
        dict(want.groupindex),
    )


@pytest.mark.parametrize(("pattern", "flags"), _PATTERNS)
def test_cold_and_warm_patterns_are_the_real_compilers(
    front: dict[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: Any, flags: int
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    real = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
    _same(regexcache._compile(pattern, flags), real)  # cold: compiled and kept
    assert regexcache._state["compiled"] is True
    regexcache.save()
    path = regexcache._path()
    assert path is not None and os.path.exists(path)
    front.clear()
    front.update(regexcache._read(path))
    assert len(front) == 1
    regexcache._state["compiled"] = False
    warm = regexcache._compile(pattern, flags)
    _same(warm, real)
    assert regexcache._state["compiled"] is False  # served from the file, nothing compiled
    sample = "abc name-12x /subscriptions/s/resourceGroups/rg a:b eyJabcd.efgh"
    if isinstance(pattern, bytes):
        sample_b = b"\x80\x81" + b"7 GLIBC_2.3"
        assert [m.span() for m in warm.finditer(sample_b)] == [
            m.span() for m in real.finditer(sample_b)
        ]
    else:
        assert [m.span() for m in warm.finditer(sample)] == [
            m.span() for m in real.finditer(sample)
        ]


def test_a_str_and_a_bytes_pattern_of_the_same_text_stay_apart(front: dict[Any, Any]) -> None:
    text = regexcache._compile("a+", 0)
    data = regexcache._compile(b"a+", 0)
    assert text.match("aa") and data.match(b"aa")
    assert len(front) == 2


def test_code_the_engine_refuses_is_compiled_afresh(front: dict[Any, Any]) -> None:
    real = re._compiler.compile(r"(?P<x>ab)+c", 0)  # type: ignore[attr-defined]
    key = (False, r"(?P<x>ab)+c", 0)
    regexcache._compile(r"(?P<x>ab)+c", 0)
    flags, code, groups, index, names = front[key]
    front[key] = (flags, [999_999, *code[1:]], groups, index, names)  # not SRE code
    _same(regexcache._compile(r"(?P<x>ab)+c", 0), real)
    assert front[key][1] == [int(c) for c in code]  # replaced by the real compile's


def test_debug_and_parsed_patterns_go_to_the_real_compiler(front: dict[Any, Any]) -> None:
    parsed = re._parser.parse("a|b", 0)  # type: ignore[attr-defined]
    assert regexcache._compile(parsed, 0).match("b")
    assert front == {}


def _signed(payload: bytes) -> bytes:
    """A cache file's bytes as amlguard writes them: magic, this user's keyed tag, payload."""
    secret = cachefile.key()
    assert secret is not None
    return regexcache._MAGIC + cachefile._tag(secret, regexcache._MAGIC, payload) + payload


def _write(path: Path, payload: bytes) -> None:
    path.write_bytes(_signed(payload))


def test_a_torn_or_wrongly_shaped_file_is_not_trusted(tmp_path: Path) -> None:
    import marshal

    good = {(False, "a", 0): (0, [1, 2], 0, {}, (None,))}
    path = tmp_path / "regex"
    _write(path, marshal.dumps(good))
    assert regexcache._read(str(path)) == good
    blob = path.read_bytes()
    path.write_bytes(blob[:-3])  # torn
    assert regexcache._read(str(path)) == {}
    path.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))  # one bit flipped
    assert regexcache._read(str(path)) == {}
    bad = {
        (False, "a", 0): (0, [1], 0, {"x": "1"}, (None,)),  # group number not an int
        (True, "a", 0): (0, [1], 0, {}, (None,)),  # a bytes key holding text
        (False, "b", 0): (0, [1], 1, {}, (None,)),  # names do not match the group count
        (False, "c", 0): (0, (1,), 0, {}, (None,)),  # code not a list
        "junk": 1,
    }
    _write(path, marshal.dumps(bad))
    assert regexcache._read(str(path)) == {}
    assert regexcache._read(str(tmp_path / "missing")) == {}


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_read_as_a_cache_give_only_well_shaped_entries(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "regex"
        for blob in (data, _signed(data)):
            path.write_bytes(blob)
            for key, entry in regexcache._read(str(path)).items():
                assert regexcache._valid(key, entry)


def test_an_unwritable_cache_folder_only_costs_the_compile(
    front: dict[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    regexcache._compile("z+", 0)
    regexcache.save()  # no exception
    assert not list(tmp_path.glob("**/regex-*"))


def _check(cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1"}
    env.pop("AMLGUARD_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "amlguard", "check", "--snapshot", "examples/estates/drifted.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_python_m_amlguard_writes_the_cache_once_and_reads_the_same_result(
    tmp_path: Path,
) -> None:
    cold = _check(tmp_path)
    files = list((tmp_path / "amlguard").glob("regex-*"))
    assert len(files) == 1
    written = files[0].stat().st_mtime_ns
    warm = _check(tmp_path)
    assert cold.returncode == warm.returncode == 1
    assert _untimed(cold.stdout) == _untimed(warm.stdout) and cold.stderr == warm.stderr
    assert "FAIL" in cold.stdout
    assert files[0].stat().st_mtime_ns == written  # a warm run compiled nothing new
    off = _check(tmp_path / "other")
    assert _untimed(off.stdout) == _untimed(cold.stdout)


def _untimed(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
