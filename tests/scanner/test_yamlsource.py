"""Remembered schema verdicts: a pass is noted, a failure never, and any edit validates again."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard.errors import PolicyError
from amlguard.scanner.rules import load_rule_text
from amlguard.scanner.yamlsource import load_yaml, validate
from tests.conftest import ROOT

RULES = ROOT / "amlguard" / "policies" / "rules" / "workspace.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    return tmp_path / "amlguard" / "validated"


def _markers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []


def _broken(text: str) -> str:
    return text.replace("severity: high", "severity: hgh", 1)


def test_a_pass_is_remembered_and_a_failure_never(cache: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    assert load_rule_text(text, "rules.yaml")
    assert len(_markers(cache)) == 1
    for _ in range(2):  # reported in full every time, never remembered
        with pytest.raises(PolicyError) as caught:
            load_rule_text(_broken(text), "rules.yaml")
        assert any("'hgh' is not one of" in p for p in caught.value.problems)
    assert len(_markers(cache)) == 1


def test_a_remembered_pass_gives_the_same_rules(cache: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    first = load_rule_text(text, "rules.yaml")
    again = load_rule_text(text, "rules.yaml")  # from the remembered verdict
    assert [r.id for r in again] == [r.id for r in first]
    assert [r.raw for r in again] == [r.raw for r in first]


def test_an_edited_file_is_validated_again(cache: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    load_rule_text(text, "rules.yaml")
    with pytest.raises(PolicyError):
        load_rule_text(_broken(text), "rules.yaml")


def test_no_cache_always_validates(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLGUARD_NO_CACHE", "1")
    load_rule_text(RULES.read_text(encoding="utf-8"), "rules.yaml")
    assert _markers(cache) == []


def test_a_cache_that_cannot_be_written_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("AMLGUARD_NO_CACHE", raising=False)
    text = RULES.read_text(encoding="utf-8")
    data, locs = load_yaml(text, "rules.yaml")
    assert validate(data, "rules.schema.json", locs, "rules.yaml", text=text) == []


def test_without_the_text_nothing_is_remembered(cache: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    data, locs = load_yaml(text, "rules.yaml")
    assert validate(data, "rules.schema.json", locs, "rules.yaml") == []
    assert _markers(cache) == []
