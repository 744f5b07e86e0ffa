"""The warm parse cache: a hit gives exactly what a parse gives, and any change parses again."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from amlguard.errors import PolicyError
from amlguard.scanner import parsecache
from amlguard.scanner.rules import RulePack, checker_signatures, load_pack
from amlguard.scanner.scan import run_scan
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.scanner.yamlsource import load_yaml_file
from tests.conftest import EXAMPLES, ROOT
from tests.scanner.test_loader import rule_file, rule_yaml

BUILTIN = ROOT / "amlguard" / "policies" / "rules"
AN_HOUR_AGO = time.time_ns() - 3600 * 10**9


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder, enabled; returns the cache file's path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    return tmp_path / "cache-home" / "amlguard" / "parsed"


def settled(path: Path, ns: int = AN_HOUR_AGO) -> Path:
    """Give a file an old mtime (files modified in the last two seconds are never cached)."""
    os.utime(path, ns=(ns, ns))
    return path


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """The shipped rule files as a user's --policies folder, modified an hour ago."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for source in sorted(BUILTIN.glob("*.yaml")):
        settled(Path(shutil.copy(source, folder / source.name)))
    return folder


def _load(rules_dir: Path) -> RulePack:
    return load_pack([rules_dir], builtin=False)


def _same(warm: RulePack, cold: RulePack) -> None:
    assert warm.rules == cold.rules  # ids, texts, targets, parameters and file:line:col sources
    assert [r.raw for r in warm.rules] == [r.raw for r in cold.rules]
    assert [r.source for r in warm.rules] == [r.source for r in cold.rules]
    assert (warm.digest, warm.version, warm.settings, warm.files) == (
        cold.digest,
        cold.version,
        cold.settings,
        cold.files,
    )


def _sigs(path: Path) -> tuple[parsecache.Signature | None, ...]:
    """A rule file's cache key: the file and the code that checks it (rules.py)."""
    return (parsecache.signature(str(path)), *checker_signatures())


def _cached(path: Path) -> bool:
    return parsecache.get("rules", str(path), _sigs(path)) is not None


def test_a_warm_load_equals_a_cold_one(
    cache: Path, rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_NO_CACHE", "1")
    cold = _load(rules_dir)
    assert not cache.exists()
    monkeypatch.delenv("AMLGUARD_NO_CACHE")
    first = _load(rules_dir)  # parses, then remembers
    assert cache.is_file()
    assert all(_cached(p) for p in rules_dir.iterdir())
    warm = _load(rules_dir)  # from the cache
    _same(first, cold)
    _same(warm, cold)
    # The built-in pack through the cache is the built-in pack too (whatever its files' age).
    _same(load_pack(), load_pack())


def test_warm_rules_judge_an_estate_as_cold_ones_do(cache: Path, rules_dir: Path) -> None:
    def judged(pack: RulePack) -> list[tuple[str, str, str]]:
        source = SnapshotSource([EXAMPLES / "drifted.json"])
        result = run_scan(source, pack, pack.rules)
        return [(f.rule_id, f.resource_id, f.status.value) for f in result.findings]

    cold = judged(_load(rules_dir))
    warm = judged(_load(rules_dir))
    assert any(status == "fail" for _, _, status in cold)
    assert warm == cold


def test_an_edited_rule_file_is_parsed_again(cache: Path, rules_dir: Path) -> None:
    target = rules_dir / "workspace.yaml"
    before = _load(rules_dir)
    assert _cached(target)
    text = target.read_text(encoding="utf-8")
    # Same size, other content, an mtime that is just as old: only the mtime tells.
    edited = text.replace("severity: high", "severity: low ", 1)
    assert edited != text and len(edited) == len(text)
    target.write_text(edited, encoding="utf-8")
    settled(target, AN_HOUR_AGO + 1)
    after = _load(rules_dir)
    changed = [r.id for r, s in zip(after.rules, before.rules, strict=True) if r != s]
    assert len(changed) == 1
    assert after.digest != before.digest
    # A broken edit is reported from the real parse, with its position, every time.
    target.write_text(text.replace("severity: high", "severity: hgh", 1), encoding="utf-8")
    settled(target, AN_HOUR_AGO + 2)
    for _ in range(2):
        with pytest.raises(PolicyError) as caught:
            _load(rules_dir)
        assert any(
            p.startswith(f"{target}:") and "'hgh' is not one of" in p for p in caught.value.problems
        )


def test_a_new_file_in_the_folder_changes_the_digest(cache: Path, rules_dir: Path) -> None:
    before = _load(rules_dir)
    extra = rules_dir / "zz-extra.yaml"
    settled_text(extra, rule_file(rule_yaml("CUSTOM-1")))
    after = _load(rules_dir)
    assert [r for r in after.rules if r.id != "CUSTOM-1"] == before.rules
    assert after.digest != before.digest
    assert after.files == [*before.files, str(extra)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"garbage",
        lambda blob: blob[: len(blob) // 2],  # torn write
        lambda blob: blob[:-10] + bytes(b ^ 0xFF for b in blob[-10:]),  # flipped bits
        lambda blob: b"",
    ],
    ids=["garbage", "truncated", "flipped", "empty"],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(
    cache: Path, rules_dir: Path, damage: object
) -> None:
    cold = _load(rules_dir)
    cache.write_bytes(damage(cache.read_bytes()))  # type: ignore[operator]
    _same(_load(rules_dir), cold)
    _same(_load(rules_dir), cold)  # the rewritten cache is sound again
    assert all(_cached(p) for p in rules_dir.iterdir())


def test_a_cache_entry_that_no_longer_compiles_is_parsed_afresh(
    cache: Path, rules_dir: Path
) -> None:
    cold = _load(rules_dir)
    target = rules_dir / "workspace.yaml"
    data, positions = parsecache.get("rules", str(target), _sigs(target))
    data["rules"][0]["condition"] = {"no-such-operator": 1}  # as if the compiler had changed
    parsecache.put("rules", str(target), _sigs(target), parsecache.encode((data, positions)))
    parsecache.save()
    _same(_load(rules_dir), cold)


def test_no_cache_bypasses_it(
    cache: Path, rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _load(rules_dir)
    blob = cache.read_bytes()
    monkeypatch.setenv("AMLGUARD_NO_CACHE", "1")
    target = rules_dir / "workspace.yaml"
    text = target.read_text(encoding="utf-8")
    # Same size and mtime, other content: only a real parse can see it.
    target.write_text(text.replace("severity: high", "severity: low ", 1), encoding="utf-8")
    settled(target)
    assert _load(rules_dir).rules != cold.rules
    assert cache.read_bytes() == blob  # nothing written either


def test_a_file_modified_just_now_is_not_cached(
    cache: Path, rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Just now" as a modification time an hour ahead: a loaded machine can take over the
    # two-second window to parse the nine files, which made a real "now" flaky; stretching the
    # window instead also held back the checker modules' signatures of a fresh clone (part of
    # every rule file's key), so nothing was cached at all.
    fresh = rules_dir / "workspace.yaml"
    ahead = time.time_ns() + 3600 * 10**9
    os.utime(fresh, ns=(ahead, ahead))
    _load(rules_dir)
    assert not _cached(fresh)
    assert _cached(rules_dir / "resources.yaml")


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    assert len(_load(rules_dir).rules) == len(load_pack().rules)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-directory", "rules"]


def test_a_yaml_file_comes_back_the_same(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "table.yaml"
    path.write_text("targets:\n  - type: A/b\n    kinds: [x, 'y']\n    n: 1.5\n", encoding="utf-8")
    settled(path)
    cold = load_yaml_file(str(path), "table.yaml")
    assert parsecache.get("yaml", str(path), (parsecache.signature(str(path)),)) == (cold,)
    assert load_yaml_file(str(path), "table.yaml") == cold
    path.write_text("targets: []\n", encoding="utf-8")
    settled(path)
    assert load_yaml_file(str(path), "table.yaml") == {"targets": []}


def test_a_file_with_a_date_is_parsed_every_time(cache: Path, tmp_path: Path) -> None:
    # marshal cannot hold a date: such a file is simply never cached (and still loads).
    path = settled_text(tmp_path / "dated.yaml", "when: 2026-11-26\n")
    assert str(load_yaml_file(str(path), "dated.yaml")["when"]) == "2026-11-26"
    assert parsecache.get("yaml", str(path), (parsecache.signature(str(path)),)) is None
    assert str(load_yaml_file(str(path), "dated.yaml")["when"]) == "2026-11-26"


def settled_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return settled(path)


def test_a_warm_config_equals_a_cold_one_and_an_edit_is_read_again(
    cache: Path, tmp_path: Path
) -> None:
    from amlguard.config import ConfigError, check_against_pack, load_config
    from tests.test_config import FULL

    path = settled_text(tmp_path / "amlguard.yaml", FULL)
    cold = load_config(path)
    assert parsecache.get("config", str(path), (parsecache.signature(str(path)),)) is not None
    warm = load_config(path)
    assert warm == cold and warm.locs == cold.locs  # positions too, for later messages
    assert warm.where("parameters", "AMLG-102") == cold.where("parameters", "AMLG-102")
    # An unknown rule id found after loading is still reported at its line, from the cache.
    unknown = settled_text(tmp_path / "unknown.yaml", FULL.replace("AMLG-108", "AMLG-999"))
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            check_against_pack(load_config(unknown), load_pack())
        assert caught.value.problems[0].startswith(f"{unknown}:8:")
    # Same size, new mtime: read again, and a broken edit is reported with its position.
    path.write_text(FULL.replace("min_severity: medium", "min_severity: mediun"), encoding="utf-8")
    settled(path, AN_HOUR_AGO + 1)
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert caught.value.problems[0].startswith(f"{path}:")
        assert "mediun" in caught.value.problems[0]


def test_two_versions_sharing_a_cache_keep_their_own_entries(cache: Path, rules_dir: Path) -> None:
    target = rules_dir / "workspace.yaml"
    cold = _load(rules_dir)
    assert _cached(target)
    with pytest.MonkeyPatch.context() as other:
        other.setattr(parsecache, "__version__", "0.0.0-other")
        other.setattr(parsecache, "_store", None)  # a fresh process of the other version
        assert not _cached(target)  # never another version's parse
        _same(_load(rules_dir), cold)
        assert _cached(target)
    parsecache._store = None  # back to this version: its entry is still there
    assert _cached(target)
