"""Loading the rule pack: the built-in rules, user rules, and every problem as file:line:col."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from amlguard.errors import PolicyError
from amlguard.scanner.model import Severity, Status
from amlguard.scanner.rules import load_pack, load_rule_text
from tests.builders import blueprint
from tests.scanner.harness import pack, scan

PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.S)
RULE_IDS = [
    "AMLG-101", "AMLG-102", "AMLG-103", "AMLG-104", "AMLG-105", "AMLG-106", "AMLG-107",
    "AMLG-108", "AMLG-109", "AMLG-110", "AMLG-111", "AMLG-112", "AMLG-113", "AMLG-114",
    "AMLG-115", "AMLG-120", "AMLG-201", "AMLG-202", "AMLG-203", "AMLG-204", "AMLG-211",
    "AMLG-212", "AMLG-213", "AMLG-221", "AMLG-222", "AMLG-223", "AMLG-224", "AMLG-231",
    "AMLG-232", "AMLG-233", "AMLG-234", "AMLG-235", "AMLG-236", "AMLG-237", "AMLG-238",
    "AMLG-239", "AMLG-240", "AMLG-241", "AMLG-250", "AMLG-301", "AMLG-302",
]  # fmt: skip


def rule_yaml(rule_id: str = "CUSTOM-1", condition: str | None = None, **extra: str) -> str:
    """One rule entry (indented for a ``rules:`` list) with a replaceable condition."""
    condition = condition or "field: properties.publicNetworkAccess\nequals: Disabled"
    body = {
        "id": rule_id,
        "name": rule_id.lower(),
        "severity": "high",
        "title": "A custom rule",
        "description": "What it checks.",
        "target": "workspace",
        "message": "Workspace {name} fails " + rule_id + ".",
        "remediation": {"summary": "Fix it."},
        **extra,
    }
    text = yaml.safe_dump([body], sort_keys=False)
    cond = textwrap.indent(condition, " " * 6)
    return text.replace("  name:", "  condition:\n" + cond + "\n  name:", 1)


def rule_file(*rules: str) -> str:
    return "apiVersion: amlguard/v1\nkind: Rules\nrules:\n" + textwrap.indent("".join(rules), "  ")


def problems_of(text: str, name: str = "custom.yaml") -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_rule_text(text, name)
    problems = info.value.problems
    for p in problems:
        assert PROBLEM.match(p), p
    return problems


def where(problem: str) -> tuple[str, int, int]:
    m = PROBLEM.match(problem)
    assert m, problem
    return m["file"], int(m["line"]), int(m["col"])


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def col_of(text: str, needle: str) -> int:
    return next(line.index(needle) + 1 for line in text.splitlines() if needle in line)


# ---------------------------------------------------------------- the built-in pack


def test_builtin_pack_has_every_blueprint_rule() -> None:
    rules = load_pack().rules
    assert [r.id for r in rules] == RULE_IDS
    for r in rules:
        assert r.title and r.description and r.rationale and r.remediation.summary, r.id
        assert r.references and r.tags, r.id
        assert re.match(r"^amlguard/policies/rules/\w+\.yaml:\d+:\d+$", r.source), r.source


def test_builtin_severities_match_the_blueprint() -> None:
    medium = {
        "AMLG-103",
        "AMLG-105",
        "AMLG-107",
        "AMLG-108",
        "AMLG-111",
        "AMLG-113",
        "AMLG-114",
        "AMLG-224",
        "AMLG-232",
        "AMLG-237",
        "AMLG-238",
        "AMLG-250",
        "AMLG-240",
        "AMLG-301",
        "AMLG-302",
    }
    info = {"AMLG-115"}  # a suggestion (integration_selector.mode suggest), never a gate
    low = {"AMLG-213", "AMLG-239"}
    for r in pack().rules:
        want = (
            Severity.INFO
            if r.id in info
            else Severity.LOW
            if r.id in low
            else Severity.MEDIUM
            if r.id in medium
            else Severity.HIGH
        )
        assert r.severity is want, r.id


def test_builtin_parameters_and_references() -> None:
    p = pack()
    assert p.get("AMLG-102").defaults() == {  # type: ignore[union-attr]
        "allowed_modes": ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"]
    }
    assert p.get("amlg-104").defaults() == {"require_spark": True}  # type: ignore[union-attr]
    assert p.get("AMLG-106").defaults()["role_definition_id"] == (  # type: ignore[union-attr]
        "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
    )
    refs = p.get("AMLG-101").references  # type: ignore[union-attr]
    assert {
        "azure_policy": "438c38d2-3772-465a-a9cc-7a6666a275ce",
        "title": refs[1]["title"],
    } in refs


def test_pack_digest_is_stable_and_covers_user_files(tmp_path: Path) -> None:
    assert load_pack().digest == load_pack().digest
    (tmp_path / "mine.yaml").write_text(rule_file(rule_yaml()), encoding="utf-8")
    assert load_pack([tmp_path]).digest != load_pack().digest


# ---------------------------------------------------------------- user rules


def test_user_rule_is_loaded_and_evaluated(tmp_path: Path) -> None:
    text = rule_file(rule_yaml("CUSTOM-1", "field: tags.owner\nexists: true"))
    (tmp_path / "mine.yml").write_text(text, encoding="utf-8")
    loaded = load_pack([tmp_path])
    assert len(loaded.rules) == len(RULE_IDS) + 1 and loaded.get("CUSTOM-1") is not None
    rule = loaded.get("CUSTOM-1")
    assert rule is not None and rule.source == f"{tmp_path / 'mine.yml'}:4:5"
    from amlguard.scanner.engine import Engine, EngineOptions
    from amlguard.scanner.instances import build_instances
    from amlguard.scanner.inventory import Inventory

    inv = Inventory(blueprint().rows())
    (finding,) = Engine(inv, [rule], EngineOptions()).run(build_instances(inv))
    assert finding.status is Status.FAIL and finding.path == "tags.owner"
    assert finding.message == "Workspace blueprint-mlw fails CUSTOM-1."


def test_duplicate_rule_id_with_the_builtin_pack(tmp_path: Path) -> None:
    text = rule_file(rule_yaml("AMLG-101"))
    path = tmp_path / "clash.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_pack([tmp_path])
    (problem,) = info.value.problems
    assert where(problem) == (str(path), 4, 5)
    assert problem.endswith(
        "rule id AMLG-101 is already defined at amlguard/policies/rules/workspace.yaml:6:5"
    )


def test_duplicate_rule_id_across_user_files_and_within_one(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(rule_file(rule_yaml("CUSTOM-1")), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        rule_file(rule_yaml("CUSTOM-2"), rule_yaml("CUSTOM-1"), rule_yaml("CUSTOM-2")),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as info:
        load_pack([tmp_path], builtin=False)
    problems = info.value.problems
    assert len(problems) == 2
    assert all("is already defined at" in p for p in problems)
    assert f"CUSTOM-1 is already defined at {tmp_path / 'a.yaml'}:4:5" in problems[0]
    assert f"CUSTOM-2 is already defined at {tmp_path / 'b.yaml'}:4:5" in problems[1]


def test_missing_policies_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file or directory"):
        load_pack([tmp_path / "nope"])


def test_non_utf8_rule_file(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes(b"apiVersion: amlguard/v1\n# caf\xe9\n")
    with pytest.raises(PolicyError) as info:
        load_pack([tmp_path])
    assert where(info.value.problems[0])[0] == str(tmp_path / "latin.yaml")
    assert "not UTF-8" in info.value.problems[0]


# ---------------------------------------------------------------- problems, with positions


def test_two_operators_in_one_condition() -> None:
    text = rule_file(rule_yaml(condition="field: properties.x\nequals: a\nnotEquals: b"))
    (problem,) = problems_of(text)
    needle = "field: properties.x"
    assert where(problem) == ("custom.yaml", line_of(text, needle), col_of(text, needle))
    assert "only one of equals, notEquals may be given here, found 2" in problem


def test_unknown_related_source() -> None:
    text = rule_file(rule_yaml(condition="count:\n  related: somethingElse\nequals: 0"))
    (problem,) = problems_of(text)
    assert where(problem)[1] == line_of(text, "somethingElse")
    assert "'somethingElse' is not one of" in problem and "privateEndpoints" in problem


def test_unknown_expression_function() -> None:
    text = rule_file(rule_yaml(condition="field: properties.x\nequals: \"[frobnicate('a')]\""))
    (problem,) = problems_of(text)
    assert where(problem)[1] == line_of(text, "field: properties.x")
    assert "CUSTOM-1 condition: unknown function 'frobnicate'" in problem
    assert "parameters" in problem  # the known functions are listed


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("[parameters('a']", "expected ')'"),
        ("[instance()) ]", "unexpected ')'"),
        ("[instance().0]", "expected a property name"),
        ("[instance()[x]]", "expected an index"),
        ("['a']", "expected a function name"),
        ("[parameters(@)]", "cannot parse expression"),
    ],
)
def test_malformed_expressions(expression: str, message: str) -> None:
    text = rule_file(rule_yaml(condition=f'field: properties.x\nequals: "{expression}"'))
    (problem,) = problems_of(text)
    assert message in problem


@pytest.mark.parametrize("path", ["properties..x", "properties.x[", "properties[x]", ".x"])
def test_bad_path(path: str) -> None:
    text = rule_file(rule_yaml(condition=f"field: '{path}'\nequals: a"))
    (problem,) = problems_of(text)
    assert where(problem)[1] == line_of(text, f"field: '{path}'")
    assert "CUSTOM-1 condition:" in problem and path in problem


def test_bad_path_in_where_is_reported_against_where() -> None:
    text = rule_file(rule_yaml(where="__WHERE__"))
    text = text.replace("where: __WHERE__", "where:\n      field: a..b\n      exists: true")
    (problem,) = problems_of(text)
    assert "CUSTOM-1 where:" in problem
    assert where(problem)[1] == line_of(text, "field: a..b")


def test_duplicate_yaml_key() -> None:
    text = rule_file(rule_yaml(severity_again="x")).replace("severity_again:", "severity:")
    (problem,) = problems_of(text)
    assert where(problem) == (
        "custom.yaml",
        line_of(text, "severity: x"),
        col_of(text, "severity: x"),
    )
    assert "duplicate key 'severity'" in problem


def test_yaml_syntax_error() -> None:
    text = rule_file(rule_yaml()) + "  - id: [unclosed\n"
    (problem,) = problems_of(text)
    file, line, _col = where(problem)
    assert file == "custom.yaml" and line >= line_of(text, "[unclosed")


def test_schema_problems_name_the_key() -> None:
    text = rule_file(rule_yaml(colour="red"))
    (problem,) = problems_of(text)
    assert where(problem)[1] == line_of(text, "- id: CUSTOM-1")
    assert "unknown key ('colour' was unexpected)" in problem


def test_every_problem_at_once_in_file_order() -> None:
    text = rule_file(
        rule_yaml("CUSTOM-1", "field: properties.x\nequals: a\nnotEquals: b"),
        rule_yaml("CUSTOM-2", "count:\n  related: somethingElse\nequals: 0"),
        rule_yaml("CUSTOM-3", "field: properties.x\nequals: \"[frobnicate('a')]\""),
        rule_yaml("CUSTOM-4", "field: properties..x\nequals: a"),
        rule_yaml("CUSTOM-5"),
        rule_yaml("CUSTOM-6", severity="urgent"),
    )
    problems = problems_of(text)
    assert len(problems) == 5
    lines = [where(p)[1] for p in problems]
    assert "only one of" in problems[0]
    assert "somethingElse" in problems[1]
    assert "'urgent' is not one of" in problems[2]
    assert "frobnicate" in problems[3] and "properties..x" in problems[4]
    # Schema problems come first, then compile problems, each in file order.
    assert lines[:3] == sorted(lines[:3]) and lines[3:] == sorted(lines[3:])


def test_problems_from_several_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(rule_file(rule_yaml("CUSTOM-1", "field: a..b\nequals: 1")))
    (tmp_path / "b.yaml").write_text("rules: [\n")
    (tmp_path / "c.yaml").write_text(rule_file(rule_yaml("CUSTOM-3")))
    with pytest.raises(PolicyError) as info:
        load_pack([tmp_path])
    files = [where(p)[0] for p in info.value.problems]
    assert files == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]


@pytest.mark.parametrize("text", ["", "just a string\n", "[]\n", "apiVersion: amlguard/v1\n"])
def test_files_that_are_not_rule_files(text: str) -> None:
    problems = problems_of(text)
    assert problems and where(problems[0])[:2] == ("custom.yaml", 1)


def test_rule_file_round_trip_helper_is_valid() -> None:
    loaded = load_rule_text(rule_file(rule_yaml("CUSTOM-9")), "ok.yaml")
    assert [r.id for r in loaded] == ["CUSTOM-9"]
    assert loaded[0].source == "ok.yaml:4:5"


def test_scan_with_a_rule_subset() -> None:
    findings = scan(blueprint().rows(), rule_ids=["AMLG-101"])
    assert {f.rule_id for f in findings} == {"AMLG-101"}


def test_undeclared_parameter_is_a_load_error() -> None:
    text = rule_file(
        rule_yaml(condition="field: properties.x\nin: \"[parameters('mode')]\"")
    ).replace(
        "  remediation:",
        "  parameters:\n      modes: {default: [a], description: d}\n    remediation:",
    )
    (problem,) = problems_of(text)
    assert where(problem) == (
        "custom.yaml",
        line_of(text, "parameters('mode')"),
        col_of(text, '"[parameters'),
    )
    assert "unknown parameter 'mode' (declared: modes)" in problem


def test_current_outside_its_count_is_a_load_error() -> None:
    condition = (
        "allOf:\n"
        "  - value: \"[current('pe').status]\"\n"
        "    equals: a\n"
        "  - count:\n"
        "      related: privateEndpoints\n"
        "      name: pe\n"
        "      where:\n"
        "        value: \"[current('pe').status]\"\n"
        "        equals: \"[current('other')]\"\n"
        "    equals: 0\n"
    )
    problems = problems_of(rule_file(rule_yaml(condition=condition)))
    assert len(problems) == 2
    assert "current('pe') is not inside a count named 'pe'" in problems[0]
    assert "current('other') is not inside a count named 'other'" in problems[1]


def test_bad_path_inside_field_function_is_a_load_error() -> None:
    text = rule_file(rule_yaml(condition="value: \"[field('properties..x')]\"\nexists: true"))
    (problem,) = problems_of(text)
    assert "CUSTOM-1 condition: field(): misplaced '.' in path 'properties..x'" in problem
    assert where(problem)[1] == line_of(text, "field('properties..x')")
