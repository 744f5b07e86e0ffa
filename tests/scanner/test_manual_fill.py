"""The compiled manual-command filler gives exactly what the general formatter gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import manual, valuetypes
from amlguard.scanner.operators import describe_expected, show

_VALUES: dict[str, Any] = {
    "name": "ws-1",
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/y/ws-1",
    "empty": "",
    "none": None,
    "flag": True,
    "hostile": "a\nb; rm -rf / $(x)",
    "parameters": {"allowed_modes": ["AllowInternetOutbound"], "flag": False, "blank": ""},
    "zones": {"blob": ["/subscriptions/s/zones/privatelink.blob.core.windows.net"]},
    "offenders": ["/x/y", "z"],
}

_PIECES = [
    "az x --name ",
    "{name}",
    "{id:tail}",
    "{parameters[allowed_modes][0]:snake}",
    "{parameters[flag]:lower}",
    "{parameters[missing]}",
    "{parameters[blank]}",
    "{zones[blob][0]}",
    "{zones[blob][5]}",
    "{offenders[1]}",
    "{name.upper}",
    "{unknown}",
    "{empty}",
    "{none}",
    "{flag}",
    "{hostile}",
    "{name!r}",
    "{name:{flag}}",
    "{}",
    "{0}",
    "{{literal}}",
    "{",
    "}",
    "{name[",
    " --yes",
]


def _general(template: str) -> str | type[Exception]:
    try:
        return manual._FORMATTER.vformat(template, (), _VALUES)
    except Exception as exc:
        return type(exc)


def _compiled(template: str) -> str | type[Exception]:
    try:
        return manual._fill(template, _VALUES)
    except Exception as exc:
        return type(exc)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_fill_matches_the_general_formatter(pieces: list[str]) -> None:
    template = "".join(pieces)
    assert _compiled(template) == _general(template)


def test_fill_quotes_and_keeps_unknown_fields() -> None:
    text = manual._fill("az x --name {hostile} --zone {zones[blob][0]:tail} {unknown}", _VALUES)
    assert (
        text
        == "az x --name 'a\\nb; rm -rf / $(x)' --zone privatelink.blob.core.windows.net {unknown}"
    )


def test_fill_falls_back_for_conversions() -> None:
    assert manual._compiled("{name!r}") is None
    assert manual._compiled("{name} and {id}") is not None


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "equals",
            "notEquals",
            "in",
            "notIn",
            "exists",
            "contains",
            "like",
            "is",
            "match",
            "greaterOrEquals",
            "lessOrEquals",
            "containsAll",
            "notMatch",
        ]
    ),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=8),
        st.lists(st.text(max_size=4), max_size=3),
    ),
)
def test_describe_expected_names_the_operand(op: str, operand: Any) -> None:
    text = describe_expected(op, operand)
    if op == "exists":
        assert text == ("present" if operand else "absent")
    elif op == "is":
        assert text == valuetypes.describe(operand)
    else:
        assert text.endswith(show(operand))
        assert (op == "equals") == (text == show(operand))


def test_literal_arguments_are_bound_once_and_give_the_same_value() -> None:
    import amlguard.scanner.primitives  # noqa: F401  (registers the expression functions)
    from amlguard.scanner.expressions import compile_value, literal_of

    assert literal_of(compile_value("plain")) == ("plain",)
    assert literal_of(compile_value("[[escaped]")) == ("[escaped]",)
    assert literal_of(compile_value("[parameters('x')]")) is None
