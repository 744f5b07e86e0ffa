"""The pre-pass over Bicep syntax tree-sitter-bicep 1.1.0 does not read, and the operator
precedence restored over its trees (property tests: positions never move, and an expression
printed with the fewest parentheses lowers exactly like the fully parenthesized one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac import bicepread
from amlguard.iac.bicepprepass import rewrite

pytestmark = pytest.mark.skipif(
    not bicepread.available() and not os.environ.get("CI"),
    reason="the bicep extra is not installed (amlguard[bicep])",
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(alphabet="param x T?!.{}[]()'$#/*\n ab=:", max_size=80))
def test_the_rewrite_never_moves_a_position(text: str) -> None:
    new, _ = rewrite(text)
    assert len(new) == len(text)
    assert len(new.encode("utf-8")) == len(text.encode("utf-8"))
    assert [i for i, c in enumerate(new) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("param p myType?\nvar v = 1\n", "param p myType \nvar v = 1\n"),
        ("param p myType? // c\r\nvar v = 1\r\n", "param p myType  // c\r\nvar v = 1\r\n"),
        ("var s = '...x!'\n", "var s = '...x!'\n"),  # strings are never rewritten
        ("// ...x!\nvar v = a!\n", "// ...x!\nvar v = a \n"),
        ("var v = a != b\n", "var v = a != b\n"),  # '!=' is not an assertion
        ("var o = {\n  ...x\n}\n", "var o = {\n  __:x\n}\n"),
        ("var a = [\n  ...x\n]\n", "var a = [\n     x\n]\n"),
        ("#disable-next-line rule\nvar v = 1\n", "                       \nvar v = 1\n"),
        (
            "param p resourceInput<'A.B/c@1'>.properties\n",
            "param p " + "object".ljust(len("resourceInput<'A.B/c@1'>.properties")) + "\n",
        ),
        ("var s = '${a}...'\n", "var s = '${a}...'\n"),
    ],
)
def test_what_the_rewrite_changes(text: str, expected: str) -> None:
    assert rewrite(text)[0] == expected


def _lowered(tmp_path: Path, expr: str) -> str:
    from amlguard.iac.bicepfile import lower_file

    path = tmp_path / "e.bicep"
    path.write_text(
        f"param a object\nparam b object\nparam c object\nvar v = {expr}\noutput o object = v\n"
    )
    return str(lower_file(path).value["variables"]["v"])


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("!a.x", "[not(parameters('a').x)]"),
        (
            "a && b.?k != 'N'",
            "[and(parameters('a'), not(equals(tryGet(parameters('b'), 'k'), 'N')))]",
        ),
        ("a ?? b[0].x", "[coalesce(parameters('a'), parameters('b')[0].x)]"),
        ("a ? b : c.x", "[if(parameters('a'), parameters('b'), parameters('c').x)]"),
        ("a.x + b.y * c.z", "[add(parameters('a').x, mul(parameters('b').y, parameters('c').z))]"),
        ("-a.x", "[sub(0, parameters('a').x)]"),
    ],
)
def test_postfix_binds_tighter_than_every_operator(
    tmp_path: Path, expr: str, expected: str
) -> None:
    assert _lowered(tmp_path, expr) == expected


_PREC = {"*": 7, "+": 6, "<": 5, "==": 4, "!=": 4, "&&": 3, "||": 2, "??": 1}
_ATOMS = st.sampled_from(["a", "b", "c", "a.x", "b.?y", "c[0]", "1", "'s'"])


def _tree() -> st.SearchStrategy[object]:
    return st.recursive(
        _ATOMS,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(sorted(_PREC)), inner, inner),
            st.tuples(st.just("!"), inner),
            st.tuples(st.just("?:"), inner, inner, inner),
            st.tuples(st.just(".p"), inner),
        ),
        max_leaves=6,
    )


def _prec(t: object) -> int:
    if isinstance(t, str):
        return 9
    assert isinstance(t, tuple)
    if t[0] == ".p":
        return 9
    if t[0] == "!":
        return 8
    if t[0] == "?:":
        return 0
    return _PREC[str(t[0])]


def _full(t: object) -> str:
    if isinstance(t, str):
        return t
    assert isinstance(t, tuple)
    if t[0] == ".p":
        return f"({_full(t[1])}).p"
    if t[0] == "!":
        return f"!({_full(t[1])})"
    if t[0] == "?:":
        return f"(({_full(t[1])}) ? ({_full(t[2])}) : ({_full(t[3])}))"
    return f"(({_full(t[1])}) {t[0]} ({_full(t[2])}))"


def _minimal(t: object) -> str:
    if isinstance(t, str):
        return t
    assert isinstance(t, tuple)

    def wrap(sub: object, ok: bool) -> str:
        return _minimal(sub) if ok else f"({_minimal(sub)})"

    if t[0] == ".p":
        return wrap(t[1], _prec(t[1]) == 9) + ".p"
    if t[0] == "!":
        return "!" + wrap(t[1], _prec(t[1]) >= 8)
    if t[0] == "?:":
        return f"{wrap(t[1], _prec(t[1]) > 0)} ? {_minimal(t[2])} : {_minimal(t[3])}"
    p = _PREC[str(t[0])]
    return f"{wrap(t[1], _prec(t[1]) >= p)} {t[0]} {wrap(t[2], _prec(t[2]) > p)}"


@settings(derandomize=True, max_examples=120, deadline=None)
@given(_tree())
def test_fewest_parentheses_lower_like_full_parentheses(tree: object) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        full = _lowered(Path(tmp), _full(tree))
        minimal = _lowered(Path(tmp), _minimal(tree))
    assert minimal == full, (_minimal(tree), _full(tree))


def test_imported_types_are_types_and_a_use_as_a_value_is_exit_2(tmp_path: Path) -> None:
    from amlguard.iac.bicepfile import lower_file
    from amlguard.iac.bicepnodes import BicepError

    (tmp_path / "types.bicep").write_text(
        "@export()\ntype size = 'S' | 'M'\n\n@export()\nfunc twice(x int) int => x * 2\n"
    )
    good = tmp_path / "good.bicep"
    good.write_text(
        "import { size, twice } from 'types.bicep'\n"
        "import { lockType } from 'br/public:avm/utl/types/avm-common-types:0.5.1'\n"
        "param s size = 'S'\nparam l lockType?\nvar n = twice(2)\noutput o int = n\n"
    )
    template = lower_file(good).value
    assert template["parameters"]["l"] == {"type": "object", "nullable": True}
    assert template["variables"]["n"] == "[__bicep.twice(2)]"
    bad = tmp_path / "bad.bicep"
    bad.write_text(
        "import { lockType } from 'br/public:avm/utl/types/avm-common-types:0.5.1'\n"
        "var v = lockType\noutput o object = v\n"
    )
    with pytest.raises(BicepError, match=r"bad\.bicep:2:9: 'lockType' used as a value"):
        lower_file(bad)


def test_a_nullable_resource_derived_parameter_stays_nullable(tmp_path: Path) -> None:
    from amlguard.iac.bicepfile import lower_file

    path = tmp_path / "p.bicep"
    path.write_text(
        "param p resourceInput<'Microsoft.Storage/storageAccounts@2023-05-01'>.properties?\n"
        "param q string\noutput o object = p ?? {}\n"
    )
    assert lower_file(path).value["parameters"]["p"] == {"type": "object", "nullable": True}
