"""The entry point's dataclass code cache: the same methods, compiled once, never a difference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

# Imports the check path (with the cache installed when asked), then describes every method
# dataclasses generated for amlguard's classes, and whether this run compiled anything.
_DESCRIBE = """
import dataclasses, json, sys
if sys.argv[1] == "cached":
    from amlguard.cli import startup
    startup.install()
import amlguard.cli.check, amlguard.app, amlguard.scanner.scan, amlguard.config
import amlguard.scanner.sources.snapshot, amlguard.reports.json_report, amlguard.azure.clouds
out = {}
for name, module in sorted(sys.modules.items()):
    if not name.startswith("amlguard"):
        continue
    for cls in vars(module).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
            for attr, fn in sorted(vars(cls).items()):
                code = getattr(fn, "__code__", None)
                if code is not None and code.co_filename == "<string>":
                    out[f"{name}.{cls.__qualname__}.{attr}"] = [
                        code.co_code.hex(), repr(code.co_consts), code.co_names,
                        code.co_varnames, code.co_flags, code.co_qualname,
                        repr(fn.__defaults__), repr(fn.__kwdefaults__),
                    ]
if sys.argv[1] == "cached":
    startup.save()
    out["<compiled>"] = bool(startup._used) and startup.installed()
print(json.dumps(out))
"""


def _describe(mode: str, cache: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache)}
    env.pop("AMLGUARD_NO_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", _DESCRIBE, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_cached_methods_are_the_methods_dataclasses_compiles(tmp_path: Path) -> None:
    plain = _describe("plain", tmp_path)
    cold = _describe("cached", tmp_path)  # compiles and writes the cache
    warm = _describe("cached", tmp_path)  # reads it
    assert len(plain) > 100  # __init__, __eq__, __repr__... of dozens of classes
    assert cold.pop("<compiled>") is True and warm.pop("<compiled>") is True
    assert cold == plain
    assert warm == plain


def test_a_warm_process_compiles_nothing_and_a_new_class_still_works(tmp_path: Path) -> None:
    script = """
import dataclasses, sys
from amlguard.cli import startup
startup.install()
import amlguard.scanner.model
before = startup._compiled

@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Fresh:
    a: int
    b: list = dataclasses.field(default_factory=list, compare=False)

x, y = Fresh(1), Fresh(2, [3])
try:
    x.a = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(before, startup._compiled, repr(y), x < y, frozen, dataclasses.replace(y, a=1) == x)
startup.save()
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("AMLGUARD_NO_CACHE", None)

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run() == "True True Fresh(a=2, b=[3]) True True True"  # cold: compiled
    assert run() == "False False Fresh(a=2, b=[3]) True True True"  # warm: nothing compiled


def test_a_corrupt_cache_only_costs_the_compile(tmp_path: Path) -> None:
    cache = tmp_path / "amlguard" / "parsed"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"amlguard-parsed\n\x00\x00\x00\x00garbage")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("AMLGUARD_NO_CACHE", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "amlguard",
            "check",
            "--snapshot",
            "examples/estates/compliant.json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "PASSED" in done.stdout or "pass" in done.stdout.lower()


def test_the_code_lives_in_its_own_file_and_a_torn_one_is_ignored(tmp_path: Path) -> None:
    _describe("cached", tmp_path)
    folder = tmp_path / "amlguard"
    files = sorted(p.name for p in folder.glob("startup-*"))
    assert len(files) == 1
    parsed = folder / "parsed"
    assert not parsed.exists() or b"dataclass methods" not in parsed.read_bytes()
    torn = folder / files[0]
    torn.write_bytes(torn.read_bytes()[:-10])
    plain = _describe("plain", tmp_path)
    again = _describe("cached", tmp_path)  # compiles afresh, rewrites the file whole
    assert again.pop("<compiled>") is True
    assert again == plain
    assert torn.stat().st_size > 1000
