"""An aggregate finding names the offenders of every failing branch (redteam7 item 1): an
``allOf`` whose later branch fails too is explained in full, so a baseline, a pinned
suppression or the history sees the later branch's offenders as new; Kleene logic and
``error`` on a branch that cannot be judged are kept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amlguard.scanner.primitives  # noqa: F401  (registers functions and related sources)
from amlguard.scanner.conditions import Explanation, compile_condition
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.findingtext import explain
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Status
from amlguard.scanner.privatelink import default_table
from amlguard.scanner.rules import load_rule_text
from amlguard.scanner.unknown import Unknown, UnknownValue
from tests.builders import blueprint
from tests.builders_fix7c import add_private_openai, deny_approval, fail_outbound_rule, rows_of
from tests.scanner.harness import of_rule, scan


def _ctx(resource: dict[str, Any]) -> EvalContext:
    return EvalContext(
        resource=resource,
        inventory=Inventory([]),
        instance=None,
        params={},
        private_link=default_table(),
    )


def _count(path: str, bad: str) -> dict[str, Any]:
    """No item of ``properties.<path>[*]`` whose name is ``bad``."""
    where = {"field": f"properties.{path}[*].name", "equals": bad}
    return {"count": {"field": f"properties.{path}[*]", "where": where}, "equals": 0}


def _items(*names: str) -> list[dict[str, str]]:
    return [{"id": f"/x/{n}", "name": "bad"} for n in names]


def test_all_of_explains_every_failing_child_in_order() -> None:
    cond = compile_condition({"allOf": [_count("a", "bad"), _count("b", "bad")]})
    resource = {"properties": {"a": _items("a1"), "b": _items("b1", "b2")}}
    assert cond(_ctx(resource), None) is False
    trace: list[Explanation] = []
    assert cond(_ctx(resource), trace) is False
    assert [t.offenders for t in trace] == [("/x/a1",), ("/x/b1", "/x/b2")]
    _, actual, path, offenders = explain(trace)
    assert offenders == ["/x/a1", "/x/b1", "/x/b2"] and actual == offenders
    assert path == "properties.a[*]"  # where it looked first: as before


def test_a_passing_branch_adds_nothing() -> None:
    cond = compile_condition({"allOf": [_count("a", "bad"), _count("b", "bad")]})
    trace: list[Explanation] = []
    assert cond(_ctx({"properties": {"a": _items("a1"), "b": []}}), trace) is False
    assert explain(trace)[3] == ["/x/a1"]


def test_explain_names_an_offender_once_across_branches() -> None:
    trace = [
        Explanation("p", "e", 1, ("/X/One", "two")),
        Explanation("q", "f", "found"),
        Explanation("r", "g", 2, ("/x/one", "three", "two")),
    ]
    named = ["/X/One", "two", "q is found", "three"]
    assert explain(trace) == ("e", ["/X/One", "two", "q is found", "three"], "p", named)
    # one failing field: no offender, as before
    assert explain([Explanation("p", "e", "v")]) == ("e", "v", "p", [])


def test_a_failing_field_branch_beside_another_is_an_offender() -> None:
    """redteam8 item 3: a field that starts failing beside a known failure is new drift, and
    the message pairs each path with its own value."""
    two = [Explanation("p", "e", "v"), Explanation("q", "f", {"b": 1, "a": [2]})]
    assert explain(two) == ("e", "v", "p", ["p is v", 'q is {"a": [2], "b": 1}'])
    first_field = [Explanation("p", "e", "Enabled"), Explanation("r", "g", 2, ("/x/st",))]
    assert explain(first_field) == ("e", "Enabled", "p", ["p is Enabled", "/x/st"])
    long = explain([Explanation("p", "e", "x" * 5000), Explanation(None, "g", 1, ("/x",))])[3]
    assert len(long[0]) < 2100 and long[0].endswith("characters]") and long[1] == "/x"


def test_a_public_registry_beside_its_known_public_stores_is_new(tmp_path: Any) -> None:
    """The three offender gates see the registry itself turning public (AMLG-241)."""
    from tests.builders_integrations import add_registry

    def estate(public: bool) -> list[dict[str, Any]]:
        inst = blueprint()
        add_registry(inst, managed_public=True, public=public)
        return inst.rows()

    known = of_rule(scan(estate(False), rule_ids=["AMLG-241"]), "AMLG-241")[0]
    now = of_rule(scan(estate(True), rule_ids=["AMLG-241"]), "AMLG-241")[0]
    assert known.status is Status.FAIL and now.status is Status.FAIL
    assert set(known.offenders) < set(now.offenders)
    (extra,) = set(now.offenders) - set(known.offenders)
    assert str(extra).lower() == "properties.publicnetworkaccess is enabled"
    assert "publicNetworkAccess is Enabled" in now.message


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["/x/a", "/X/A", "b", "c", "/x/d"]), max_size=4).map(tuple),
        min_size=1,
        max_size=4,
    )
)
def test_explain_offenders_are_the_ordered_union(groups: list[tuple[str, ...]]) -> None:
    trace = [Explanation(f"p{i}", "e", len(g), g) for i, g in enumerate(groups)]
    offenders = explain(trace)[3]
    # a branch without offenders is named by its path and value where several fail
    named = [g or ((f"p{i} is 0",) if len(groups) > 1 else ()) for i, g in enumerate(groups)]
    assert offenders[: len(named[0])] == list(named[0])  # the first branch's, untouched
    everyone = {o.lower() for g in named for o in g}
    assert {o.lower() for o in offenders} == everyone
    later = offenders[len(named[0]) :]
    assert len({o.lower() for o in later}) == len(later)  # each later one once


def test_a_false_branch_still_decides_over_an_unknown_one_in_any_order() -> None:
    unknown = {"field": "properties.u", "equals": "x"}
    resource = {"properties": {"a": _items("a1"), "u": Unknown("id:properties.u")}}
    for children in ([_count("a", "bad"), unknown], [unknown, _count("a", "bad")]):
        cond = compile_condition({"allOf": children})
        trace: list[Explanation] = []
        assert cond(_ctx(resource), None) is False
        assert cond(_ctx(resource), trace) is False
        assert explain(trace)[3] == ["/x/a1"]
    with pytest.raises(UnknownValue):  # nothing false: the unknown is the answer
        compile_condition({"allOf": [unknown, _count("b", "bad")]})(_ctx(resource), [])


def test_a_later_branch_that_cannot_be_judged_makes_the_explanation_undeterminable() -> None:
    in_flux = {"count": {"related": "outboundRulesInFlux"}, "equals": 0}
    cond = compile_condition({"allOf": [_count("a", "bad"), in_flux]})
    rules = {"r": {"status": "Provisioning"}}
    resource = {"properties": {"a": _items("a1"), "managedNetwork": {"outboundRules": rules}}}
    assert cond(_ctx(resource), None) is False  # the fast path still stops at the first
    with pytest.raises(Undeterminable, match="in flux"):
        cond(_ctx(resource), [])


def test_any_of_keeps_every_explanation_of_its_first_alternative() -> None:
    both = {"allOf": [_count("a", "bad"), _count("b", "bad")]}
    cond = compile_condition({"anyOf": [both, _count("c", "bad")]})
    resource = {"properties": {"a": _items("a1"), "b": _items("b1"), "c": _items("c1")}}
    trace: list[Explanation] = []
    assert cond(_ctx(resource), trace) is False
    assert explain(trace)[3] == ["/x/a1", "/x/b1"]


_TWO_BRANCHES = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: CUSTOM-2
    name: two-branches
    severity: low
    title: T
    description: D
    target: {select: associated, roles: [keyVault]}
    condition:
      allOf:
        - {field: properties.enableRbacAuthorization, equals: true}
        - count: {related: outboundRulesInFlux}
          equals: 0
    message: "{name}: {path} is {actual}"
    remediation: {summary: "fix {name}"}
"""


def test_the_engine_turns_an_unjudgeable_later_branch_into_error() -> None:
    (rule,) = load_rule_text(_TWO_BRANCHES, "c.yaml")
    inst = blueprint()
    inst.keyvault["properties"]["enableRbacAuthorization"] = False
    inst.keyvault["properties"]["managedNetwork"] = {"outboundRules": {"r": {"status": "Deleting"}}}
    inv = Inventory(inst.rows())
    (f,) = Engine(inv, [rule], EngineOptions()).run(build_instances(inv))
    assert f.status is Status.ERROR and "in flux" in f.message
    del inst.keyvault["properties"]["managedNetwork"]
    inv = Inventory(inst.rows())
    (f,) = Engine(inv, [rule], EngineOptions()).run(build_instances(inv))
    assert (
        f.status is Status.FAIL
        and f.message == "blueprint-kv: properties.enableRbacAuthorization is false"
    )


def test_amlg_104_names_a_missing_rule_behind_a_failed_one() -> None:
    rows = rows_of("compliant")
    fail_outbound_rule(rows)
    added = add_private_openai(rows)
    (f,) = of_rule(scan(rows, rule_ids=["AMLG-104"]), "AMLG-104")
    assert f.status is Status.FAIL
    assert "is Failed" in str(f.offenders[0])  # the first branch's, first
    assert added in f.offenders and "blueprint-dev-oai2" in f.message
    assert f.message.index("is Failed") < f.message.index("blueprint-dev-oai2")


def test_amlg_106_names_a_deny_behind_missing_roles() -> None:
    rows = rows_of("drifted")
    before = of_rule(scan(rows, rule_ids=["AMLG-106"]), "AMLG-106")[0].offenders
    deny_approval(rows)
    (f,) = of_rule(scan(rows, rule_ids=["AMLG-106"]), "AMLG-106")
    assert f.status is Status.FAIL and f.offenders[: len(before)] == before
    denied = [str(o) for o in f.offenders[len(before) :]]
    assert any(o.startswith("blueprintdevst (deny assignment 'block-pe-approval'") for o in denied)
    assert "blueprintdevst (deny assignment" in f.message
