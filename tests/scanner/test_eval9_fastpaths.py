"""Session 9's evaluation fast paths give what the general code gives (eval9).

``Engine._evaluate_rule`` (one loop per rule, ``_verdict`` inline, plain passes built column by
column) against ``Engine._evaluate`` per instance; ``model.passing_findings`` against
``Finding(...)``; ``Target``/``Selection``'s hand-written ``__init__`` against the generated one.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import manual
from amlguard.scanner.conditions import compile_condition
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, Severity, Status, passing_findings
from amlguard.scanner.outbound_children import folded_inventory
from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.scanner.targets import Selection, Target
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.textsafe import UNSAFE, escape_char, safe_ascii, visible
from tests.scanner.harness import pack

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"
_TEXT = st.text(max_size=12)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    _TEXT,
    _TEXT,
    st.sampled_from(list(Severity)),
    st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT), max_size=6),
)
def test_passing_findings_are_the_findings_finding_makes(
    rule_id: str, name: str, severity: Severity, rows: list[tuple[str, str, str, str]]
) -> None:
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], [], []]
    got = passing_findings(rule_id, name, severity, *columns)
    want = [Finding(rule_id, name, severity, Status.PASS, r, t, i, m) for r, t, i, m in rows]
    assert got == want
    assert [repr(f) for f in got] == [repr(f) for f in want]
    assert len({id(f) for f in got}) == len(got)  # one object per finding
    assert pickle.loads(pickle.dumps(got)) == want
    for f in got:
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.message = "changed"  # type: ignore[misc]


def test_passing_findings_refuse_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        passing_findings("R", "n", Severity.LOW, ["a", "b"], ["t"], ["i", "j"], ["m", "m"])
    with pytest.raises(ValueError, match="differ in length"):
        passing_findings("R", "n", Severity.LOW, ["a"], ["t"], ["i"], ["m", "m"])


@pytest.mark.parametrize("cls", [Target, Selection])
def test_target_and_selection_init_is_the_generated_one(cls: type) -> None:
    fields = dataclasses.fields(cls)
    reference = dataclasses.make_dataclass(
        "Reference",
        [(f.name, f.type, dataclasses.field(default=f.default)) for f in fields],
        frozen=True,
        slots=True,
    )
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(reference).parameters
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [
        (p.name, p.default, p.kind) for p in theirs.values()
    ]
    names = [f.name for f in fields]
    for given_count in range(3 if cls is Target else 1, len(names) + 1):
        args = [(given_count, n) for n in names[:given_count]]
        made = cls(*args)
        ref = reference(*args)
        assert [getattr(made, n) for n in names] == [getattr(ref, n) for n in names]
        assert cls(**dict(zip(names[:given_count], args, strict=True))) == made
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, names[0], "changed")
        assert pickle.loads(pickle.dumps(made)) == made


def _estate(name: str) -> tuple[Inventory, list[Any]]:
    collected = SnapshotSource([ESTATES / name]).collect(needs_of(pack().rules))
    inventory = folded_inventory(Inventory(collected.rows))
    return inventory, build_instances(inventory, instance_settings(pack(), ScanOptions()))


def _judged_one_by_one(engine: Engine, plan: Any, instance: Any) -> list[Finding]:
    """A rule's findings in an instance, every target through ``Engine._judge`` (the general
    path: ``_verdict``, then ``_conclude``), as ``Engine._evaluate`` judged before session 9."""
    if plan.rule.runs_only_when is not None and not engine._default_on(plan, instance):
        return []
    made = engine._select(plan, instance, {})
    if isinstance(made, list):
        return made
    if not made.targets:
        return engine._empty(plan, instance, made)
    return [engine._judge(plan, target, instance) for target in made.targets]


@pytest.mark.parametrize("estate", sorted(p.name for p in ESTATES.glob("*.json")))
def test_one_loop_per_rule_gives_what_judging_each_target_gives(estate: str) -> None:
    """Every rule of the pack (opt-in ones too), each over every instance of the estate: the
    loop's findings, list by list, are ``_judge``'s on a fresh engine and inventory."""
    inventory, instances = _estate(estate)
    engine = Engine(inventory, pack().rules, EngineOptions())
    pairs: list[tuple[Any, dict[str, Selection]]] = [(i, {}) for i in instances]
    fast = [engine._evaluate_rule(plan, pairs) for plan in engine._plans]
    inventory, instances = _estate(estate)
    engine = Engine(inventory, pack().rules, EngineOptions())
    general = [[_judged_one_by_one(engine, plan, i) for i in instances] for plan in engine._plans]
    assert fast == general
    assert [repr(f) for lists in fast for found in lists for f in found] == [
        repr(f) for lists in general for found in lists for f in found
    ]
    statuses = {f.status for lists in fast for found in lists for f in found}
    assert Status.PASS in statuses


def test_the_loop_leaves_no_placeholder_and_a_clean_context() -> None:
    """A drifted estate: passes, failures, skips and errors mixed in one rule's lists."""
    inventory, instances = _estate("landing-zone-drifted.json")
    engine = Engine(inventory, pack().rules, EngineOptions())
    findings = engine.run(instances)
    assert findings and all(type(f) is Finding for f in findings)
    assert {Status.PASS, Status.FAIL} <= {f.status for f in findings}
    assert engine._ctx.currents == {} and engine._ctx.field_scopes == []
    assert engine._ctx.notes is None


def _visible_reference(value: Any) -> Any:
    """``textsafe.visible`` before its ASCII fast check: the regex alone."""
    if isinstance(value, str) and UNSAFE.search(value):
        return UNSAFE.sub(escape_char, value)
    return value


@settings(derandomize=True, max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=st.characters(max_codepoint=0x7F)),
        st.text(alphabet=st.sampled_from("ab \x00\x1f\x7f\x80\x9f\u200b\u202e\ufeff\n\t~")),
    )
)
def test_visible_is_the_regex_escape(value: str) -> None:
    assert visible(value) == _visible_reference(value)
    assert safe_ascii(value) is (value.isascii() and UNSAFE.search(value) is None)


def test_every_code_point_the_ascii_check_passes_is_safe() -> None:
    passed = [c for c in map(chr, range(0x110000)) if safe_ascii(c)]
    assert len(passed) == 0x7F - 0x20  # printable ASCII: space to tilde
    assert not any(UNSAFE.search(c) for c in passed)
    assert all(UNSAFE.search(chr(c)) for c in [*range(0x20), 0x7F])


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30), st.sampled_from(["", "<principal-id>", "AllowInternet", "x\ny"])
    ),
    st.sampled_from(["", "snake", "tail", "lower", "other"]),
)
def test_a_remembered_manual_value_is_the_one_worked_out(text: str, spec: str) -> None:
    want = manual._format_any(text, spec)
    assert manual._format_value(text, spec) == want
    assert manual._format_value(text, spec) == want  # the remembered one
    assert manual._format_value(manual._Literal(text), spec) == text  # a literal: never quoted


def test_an_unknown_in_a_list_still_cannot_be_judged() -> None:
    """The leaves skip the search for an Unknown in a list only while none was ever made."""
    unknown = Unknown("vault:properties.x")
    assert Unknown.made > 0
    ctx: Any = type("Ctx", (), {"work": 0, "currents": {}, "field_scopes": [], "resource": {}})()
    ctx.resource = {"properties": {"items": ["a", unknown]}}
    for leaf in (
        {"field": "properties.items[*]", "equals": "a"},
        {"value": "[field('properties.items')]", "contains": "a"},
    ):
        with pytest.raises(UnknownValue):
            compile_condition(leaf)(ctx, None)
