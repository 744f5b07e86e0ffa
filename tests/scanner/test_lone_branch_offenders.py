"""redteam9 item 6: a failing branch without offenders is named alone too when the rule's
condition can name offenders, and an empty offender set is never a subset of a non-empty
accepted one (suppression, baseline, history)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard import offenders
from amlguard.history.diff import _grown
from amlguard.history.records import StoredFinding
from amlguard.scanner.conditions import Explanation
from amlguard.scanner.findingtext import explain, names_offenders
from amlguard.scanner.model import Finding, Severity, Status
from amlguard.suppressions import Suppression

FIELD = Explanation("properties.publicNetworkAccess", "Disabled", "Enabled")
COUNT = Explanation("outbound[*]", "none", 1, ("/subscriptions/s/x/a",))


def test_a_lone_field_branch_is_named_when_the_rule_can_name_offenders() -> None:
    assert explain([FIELD], named=True)[3] == ["properties.publicNetworkAccess is Enabled"]
    assert explain([FIELD], named=True)[1] == "Enabled"  # actual stays the branch's own value
    assert explain([FIELD])[3] == []  # a rule that never names offenders: as before
    assert explain([COUNT, FIELD])[3] == [
        "/subscriptions/s/x/a",
        "properties.publicNetworkAccess is Enabled",
    ]


COUNTED = {"count": {"field": "a[*]"}, "equals": 0}


def test_names_offenders_reads_the_condition_as_written() -> None:
    assert names_offenders(COUNTED)
    assert names_offenders({"allOf": [{"field": "x", "equals": 1}, COUNTED]})
    assert names_offenders({"anyOf": [{"field": "x", "equals": 1}, {"allOf": [COUNTED]}]})
    assert not names_offenders({"field": "x", "equals": 1})
    assert not names_offenders({"not": COUNTED})  # a negation explains itself without items
    # a count whose failure means it matched nothing names nothing
    assert not names_offenders({"count": {"field": "a[*]"}, "greaterOrEquals": 1})
    assert not names_offenders({"count": {"field": "a[*]"}, "notEquals": 0})
    assert names_offenders({"count": {"field": "a[*]"}, "greaterOrEquals": 2})
    assert names_offenders({"count": {"field": "a[*]"}, "greaterOrEquals": True})
    assert not names_offenders(None)


_leaf = st.one_of(
    st.fixed_dictionaries({"field": st.text(max_size=5), "equals": st.integers(-2, 2)}),
    st.fixed_dictionaries(
        {"count": st.just({"field": "a[*]"})},
        optional={
            "equals": st.one_of(st.integers(-1, 2), st.booleans(), st.lists(st.integers())),
            "greaterOrEquals": st.integers(0, 2),
        },
    ),
    st.none(),
    st.text(max_size=3),
)
_conditions = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.fixed_dictionaries({"allOf": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"not": inner}),
    ),
    max_leaves=8,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_conditions)
def test_names_offenders_never_raises_and_is_stable(condition: Any) -> None:
    first = names_offenders(condition)
    assert isinstance(first, bool)
    assert names_offenders(condition) is first


_offender = st.one_of(st.text(max_size=8), st.integers(), st.dictionaries(st.just("id"), st.text()))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(_offender, max_size=4), st.lists(_offender, max_size=4))
def test_unrecorded_never_calls_an_empty_set_a_subset_of_a_named_one(
    current: list[Any], recorded: list[Any]
) -> None:
    out = offenders.unrecorded(current, recorded)
    if not current:
        assert out == ([offenders.NONE_NAMED] if recorded else [])
    else:
        known = {offenders.key(o) for o in recorded}
        assert [offenders.key(o) for o in out] == list(
            dict.fromkeys(offenders.key(o) for o in current if offenders.key(o) not in known)
        )


def _finding(named: tuple[Any, ...]) -> Finding:
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
    return Finding(
        "AMLG-201", "x", Severity.HIGH, Status.FAIL, rid, "t", "ws", "m", offenders=named
    )


def test_a_pinned_suppression_does_not_accept_a_finding_naming_none() -> None:
    pinned = Suppression("AMLG-201", "*", "r", offenders=("pe-1",))
    assert pinned.unaccepted(_finding(())) == [offenders.NONE_NAMED]
    assert pinned.unaccepted(_finding(("pe-1",))) == []
    assert Suppression("AMLG-201", "*", "r").unaccepted(_finding(())) == []
    assert Suppression("AMLG-201", "*", "r", offenders=()).unaccepted(_finding(())) == []


def test_the_history_sees_a_failure_naming_none_after_one_naming_some() -> None:
    def stored(named: tuple[Any, ...] | None) -> StoredFinding:
        return StoredFinding(
            "AMLG-241",
            "n",
            Severity.HIGH,
            Status.FAIL,
            "r",
            "t",
            "i",
            "m",
            None,
            None,
            None,
            None,
            offenders=named,
        )

    assert _grown(stored(("a",)), stored(())) == (offenders.NONE_NAMED,)
    assert _grown(stored(()), stored(())) == ()
    assert _grown(stored(None), stored(())) == ()
