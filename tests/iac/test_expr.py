"""The expression parser: known shapes, bad input, and property-based round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac.expr import (
    ExprError,
    functions_used,
    is_expression,
    parse,
    parse_expression,
    render,
    unescape,
)


def test_shapes() -> None:
    node = parse_expression("[concat(parameters('a'), '-x')[0].name]")
    assert node[0] == "prop" and node[2] == "name"
    assert node[1][0] == "idx"
    call = node[1][1]
    assert call[0] == "call" and call[1] == "concat"
    assert call[2][1] == ("lit", "-x")


def test_literals() -> None:
    assert parse("'it''s'") == ("lit", "it's")
    assert parse("-12") == ("lit", -12)
    assert parse("1.5") == ("lit", 1.5)
    assert parse(" 'a' ") == ("lit", "a")


def test_user_function_names_keep_their_namespace() -> None:
    node = parse("__bicep.f(1)")
    assert node[1] == "__bicep.f"
    assert [n for n, _ in functions_used(parse("a(b(), c.d(e()))"))] == ["a", "c.d", "e", "b"]


def test_escapes_and_detection() -> None:
    assert is_expression("[x()]") and not is_expression("[[x()]") and not is_expression("x")
    assert unescape("[[not an expression]") == "[not an expression]"
    assert unescape("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "column"),
    [("concat(", 9), ("'abc", 2), ("f(1 2)", 6), ("f().", 6), ("", 2), ("1 x", 4), ("f(,)", 4)],
)
def test_errors_name_a_column(text: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        parse(text)
    assert info.value.column == column


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


def _nodes() -> st.SearchStrategy[tuple[object, ...]]:
    leaves = st.one_of(
        st.text(max_size=12).map(lambda s: ("lit", s)),
        st.integers(min_value=-(10**6), max_value=10**6).map(lambda i: ("lit", i)),
    )

    def extend(children: st.SearchStrategy[tuple[object, ...]]) -> st.SearchStrategy:
        return st.one_of(
            st.tuples(st.just("call"), _names, st.lists(children, max_size=3).map(tuple)).map(
                lambda t: ("call", t[1], t[2], 0)
            ),
            st.tuples(st.just("prop"), children, _names),
            st.tuples(st.just("idx"), children, children),
        )

    return st.recursive(leaves, extend, max_leaves=12)


def _strip(node: tuple[object, ...]) -> tuple[object, ...]:
    """A node without call columns (they depend on spacing)."""
    if node[0] == "call":
        return ("call", node[1], tuple(_strip(a) for a in node[2]))  # type: ignore[union-attr]
    if node[0] in ("prop",):
        return ("prop", _strip(node[1]), node[2])  # type: ignore[arg-type]
    if node[0] == "idx":
        return ("idx", _strip(node[1]), _strip(node[2]))  # type: ignore[arg-type]
    return node


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_nodes())
def test_render_parse_round_trip(node: tuple[object, ...]) -> None:
    text = render(node)
    assert _strip(parse(text)) == _strip(node)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(st.text(alphabet="abc()[]'.,- 1", max_size=30))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        node = parse(text)
    except ExprError as exc:
        assert 1 <= exc.column <= len(text) + 2
    else:
        assert _strip(parse(render(node))) == _strip(node)
