"""A warm rule file skips the checks that only find problems, and only while the checking code
is the code that stored it (amlguard.scanner.rules.checker_signatures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard.errors import PolicyError
from amlguard.scanner import parsecache, rules
from amlguard.scanner.rules import RulePack, checker_signatures, load_pack
from tests.scanner.test_parsecache import _same, cache, rules_dir  # noqa: F401  (fixtures)


def _load(folder: Path) -> RulePack:
    return load_pack([folder], builtin=False)


def _sigs(path: Path) -> tuple[parsecache.Signature | None, ...]:
    return (parsecache.signature(str(path)), *checker_signatures())


def _poison(target: Path) -> None:
    """Store an entry for ``target`` that compiles but breaks a check the warm path skips."""
    data, positions = parsecache.get("rules", str(target), _sigs(target))
    rule = data["rules"][0]
    rule["where"] = {"value": "[parameters('no-such-parameter')]", "equals": "x"}
    parsecache.put("rules", str(target), _sigs(target), parsecache.encode((data, positions)))
    parsecache.save()


def test_the_checks_of_a_cold_parse_still_run() -> None:
    source = Path(parsecache.package_file("policies/rules/workspace.yaml"))
    text = source.read_text(encoding="utf-8")
    where = "where:\n      value: \"[parameters('nope')]\"\n      equals: x\n    condition:"
    bad = text.replace("condition:", where, 1)
    assert bad != text
    with pytest.raises(PolicyError, match="unknown parameter 'nope'"):
        rules.load_rule_text(bad, "bad.yaml")


def test_a_warm_entry_is_trusted_only_by_the_code_that_wrote_it(
    cache: Path,  # noqa: F811
    rules_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cold = _load(rules_dir)
    target = rules_dir / "workspace.yaml"
    _poison(target)
    # Same checking code: the entry is what this code stored, the skipped checks are not asked.
    warm = _load(rules_dir)
    assert any("no-such-parameter" in str(r.raw.get("where")) for r in warm.rules)
    # The checking code changed (as an edit of rules.py in a development checkout would):
    # every entry misses, the file is parsed and checked afresh, the poisoned entry is gone.
    changed = tuple((s[0] + 1, s[1], s[2]) if s else s for s in checker_signatures())
    monkeypatch.setattr(rules, "_checkers", [changed])
    _same(_load(rules_dir), cold)
    assert parsecache.get("rules", str(target), _sigs(target)) is not None  # re-stored


def test_checking_code_without_a_source_file_keeps_rule_files_out_of_the_cache(
    cache: Path,  # noqa: F811
    rules_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules, "_checkers", [(None, *checker_signatures()[1:])])
    first = _load(rules_dir)
    assert all(
        parsecache.get("rules", str(p), _sigs(p)) is None for p in sorted(rules_dir.iterdir())
    )
    _same(_load(rules_dir), first)


def test_the_checking_code_signatures_name_real_files() -> None:
    sigs = checker_signatures()
    assert len(sigs) == len(rules._CHECKERS)
    assert all(s is not None and s[0] > 0 for s in sigs)  # a source install: all readable
