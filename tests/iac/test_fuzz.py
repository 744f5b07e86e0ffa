"""Hostile expressions: any call of any supported function with any arguments is a value or an
input error naming the position, never a crash (exit 4) or a hang."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac.evaluator import CONTEXT, LAZY
from amlguard.iac.expr import render
from amlguard.iac.functions import PURE
from amlguard.iac.template import TemplateError
from tests.iac.helpers import ev

_SAFE_CONTEXT = sorted(set(CONTEXT) - {"fail"})
_NAMES = sorted(PURE) + sorted(LAZY) + _SAFE_CONTEXT + ["listKeys"]

_literals = st.one_of(
    st.text(max_size=8).map(lambda s: ("lit", s)),
    st.integers(min_value=-5, max_value=50).map(lambda i: ("lit", i)),
)


def _calls(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(st.sampled_from(_NAMES), st.lists(children, max_size=3)).map(
            lambda t: ("call", t[0], tuple(t[1]), 0)
        ),
        st.tuples(children, st.sampled_from(["a", "name", "value"])).map(
            lambda t: ("prop", t[0], t[1])
        ),
        st.tuples(children, children).map(lambda t: ("idx", t[0], t[1])),
    )


_expressions = st.recursive(_literals, _calls, max_leaves=8).filter(lambda n: n[0] != "lit")


@settings(derandomize=True, max_examples=400, deadline=None)
@given(_expressions)
def test_any_expression_is_a_value_or_a_positioned_error(node: Any) -> None:
    text = render(node)
    try:
        ev(text, {"p": {"a": [1, "x"], "name": "n"}})
    except TemplateError as exc:
        assert str(exc).startswith("t.json:")
