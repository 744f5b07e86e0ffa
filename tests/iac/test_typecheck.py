"""Constraints inside user-defined types (languageVersion 2.0 ``definitions``) are checked on
parameter values as top-level constraints are: a violating value is exit 2 naming the
declaration, the path inside the value and the parameter file's line; secure values are never
shown. Property-based tests for the checker itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_USAGE, InputError
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.paramcheck import violation
from amlguard.iac.source import TemplateSource
from amlguard.iac.typecheck import TypeSpecError, effective, type_violation
from amlguard.scanner.sources.interface import Needs

_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
_REF = "#/definitions/"
DEFINITIONS: dict[str, Any] = {
    "sku": {"type": "string", "allowedValues": ["Basic", "Premium"]},
    "subnet": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "prefix": {"type": "string"},
            "nsg": {"type": "string", "nullable": True},
            "size": {"type": "int", "minValue": 16, "maxValue": 29, "nullable": True},
        },
        "additionalProperties": False,
    },
    "network": {
        "type": "object",
        "properties": {
            "sku": {"$ref": _REF + "sku"},
            "subnets": {
                "type": "array",
                "items": {"$ref": _REF + "subnet"},
                "minLength": 1,
                "maxLength": 3,
            },
            "pair": {
                "type": "array",
                "prefixItems": [
                    {"type": "string", "minLength": 2},
                    {"type": "int", "minValue": 1},
                ],
                "items": False,
                "nullable": True,
            },
            "tags": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 5},
                "nullable": True,
            },
        },
    },
    "cat": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "allowedValues": ["cat"]},
            "lives": {"type": "int", "maxValue": 9},
        },
    },
    "dog": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "allowedValues": ["dog"]},
            "barks": {"type": "bool"},
        },
    },
    "pet": {
        "type": "object",
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"cat": {"$ref": _REF + "cat"}, "dog": {"$ref": _REF + "dog"}},
        },
    },
    "password": {"type": "securestring", "minLength": 12},
    "pin": {"type": "securestring", "allowedValues": ["1234-5678"], "nullable": True},
    "admin": {
        "type": "object",
        "properties": {"password": {"$ref": _REF + "password"}, "pin": {"$ref": _REF + "pin"}},
    },
    "maybeZone": {"type": "string", "nullable": True},
}
PARAMETERS: dict[str, Any] = {
    "network": {"$ref": _REF + "network"},
    "pet": {"$ref": _REF + "pet", "nullable": True},
    "admin": {"$ref": _REF + "admin", "nullable": True},
    "topSku": {"$ref": _REF + "sku", "defaultValue": "Basic"},
    "secret": {"$ref": _REF + "password", "nullable": True},
    "zone": {"$ref": _REF + "maybeZone"},
}
GOOD_NETWORK = {
    "sku": "premium",  # ARM compares allowed strings ignoring case
    "subnets": [
        {"name": "snet-a", "prefix": "10.0.0.0/24"},
        {"name": "b", "prefix": "x", "size": 24},
    ],
    "pair": ["ab", 2],
    "tags": {"env": "dev"},
}


def _template(tmp_path: Path, parameters: dict[str, Any] | None = None) -> Path:
    doc = {
        "$schema": _SCHEMA,
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "definitions": DEFINITIONS,
        "parameters": parameters or PARAMETERS,
        "resources": {},
    }
    path = tmp_path / "main.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def _params(tmp_path: Path, values: dict[str, Any]) -> Path:
    path = tmp_path / "main.parameters.json"
    doc = {"parameters": {k: {"value": v} for k, v in values.items()}}
    path.write_text(json.dumps(doc, indent=2))
    return path


def _collect(template: Path, files: list[Path], values: dict[str, Any] | None = None) -> None:
    source = TemplateSource(
        [template], files, values or {}, DeploymentContext(location="westeurope")
    )
    source.collect(Needs(types=()))


def _line_of(path: Path, needle: str, after: int = 0) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, t in enumerate(lines, 1) if i > after and needle in t)


def _with(**changes: Any) -> dict[str, Any]:
    network = json.loads(json.dumps(GOOD_NETWORK))
    network.update(changes)
    return network


def test_values_inside_their_types_pass(tmp_path: Path) -> None:
    values = {
        "network": GOOD_NETWORK,
        "pet": {"kind": "cat", "lives": 9},
        "admin": {"password": "long-enough-pw"},
    }
    _collect(_template(tmp_path), [_params(tmp_path, values)])


BAD: list[tuple[str, Any, str]] = [
    ("network", _with(sku="Gold"), 'sku: the value "Gold" is not one of its allowedValues'),
    ("network", _with(subnets=[]), "subnets: value has 0 element(s): shorter than minLength 1"),
    (
        "network",
        _with(subnets=[{"name": "", "prefix": "p"}]),
        "subnets[0].name: value has 0 character(s): shorter than minLength 1",
    ),
    ("network", _with(subnets=[{"name": "a"}]), "subnets[0].prefix: required property is missing"),
    (
        "network",
        _with(subnets=[{"name": "a", "prefix": "p", "size": 30}]),
        "subnets[0].size: value 30 is greater than maxValue 29",
    ),
    (
        "network",
        _with(subnets=[{"name": "a", "prefix": "p", "route": "r"}]),
        "subnets[0].route: property is not allowed (the type is sealed)",
    ),
    (
        "network",
        _with(subnets=[{"name": "a", "prefix": None}]),
        "subnets[0].prefix: is null but not nullable",
    ),
    (
        "network",
        _with(pair=["a", 2]),
        "pair[0]: value has 1 character(s): shorter than minLength 2",
    ),
    ("network", _with(pair=["ab", 2, 3]), "pair[2]: the tuple has 2 element(s)"),
    ("network", _with(pair=["ab"]), "pair: the tuple needs 2 element(s), has 1"),
    ("network", _with(tags={"env": "production"}), "tags.env: value has 10 character(s)"),
    ("pet", {"kind": "cat", "lives": 10}, "lives: value 10 is greater than maxValue 9"),
    (
        "pet",
        {"kind": "fish"},
        "kind: 'fish' is not one of the discriminator's values ['cat', 'dog']",
    ),
    ("pet", {"lives": 1}, "kind: required discriminator property is missing"),
    ("topSku", "Free", 'the value "Free" is not one of its allowedValues'),
]


@pytest.mark.parametrize(("name", "value", "words"), BAD, ids=[b[2][:40] for b in BAD])
def test_a_value_outside_its_type_is_exit_2_at_the_value_s_line(
    tmp_path: Path, name: str, value: Any, words: str
) -> None:
    template = _template(tmp_path)
    values = {"network": GOOD_NETWORK, name: value}
    pfile = _params(tmp_path, values)
    with pytest.raises(InputError) as info:
        _collect(template, [pfile])
    message = str(info.value)
    # the parameter's declaration, not its type's (definitions come first)
    declared = _line_of(template, f'"{name}": {{', _line_of(template, '"parameters": {'))
    assert message.startswith(f"{template}:{declared}:"), message
    assert f"parameter '{name}': " in message and words in message, message
    value_line = _line_of(pfile, f'"{name}": {{') + 1
    assert f"{pfile}:{value_line}:" in message
    assert "az deployment would refuse it" in message


def test_a_default_and_a_command_line_value_say_so(tmp_path: Path) -> None:
    params = {**PARAMETERS, "topSku": {"$ref": _REF + "sku", "defaultValue": "Gold"}}
    with pytest.raises(InputError, match=r"parameter 'topSku'.*from its default"):
        _collect(_template(tmp_path, params), [_params(tmp_path, {"network": GOOD_NETWORK})])
    bad = json.dumps(_with(sku="Gold"))  # an object given on the command line is JSON
    with pytest.raises(InputError, match=r"sku: the value \"Gold\".*from --parameter"):
        _collect(_template(tmp_path), [], {"network": bad})


def test_a_secure_value_inside_a_type_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # short paths: the whole message fits the error line
    template = _template(Path("."))
    pfile = _params(Path("."), {"network": GOOD_NETWORK, "admin": {"password": "Tiny-pw-1"}})
    done = CliRunner().invoke(
        cli, ["template", "rows", "--template", str(template), "--parameters", str(pfile)]
    )
    assert done.exit_code == EXIT_USAGE, done.output
    assert "parameter 'admin': password: value has 9 character(s): shorter than minLength 12" in (
        done.output
    )
    assert "Tiny-pw-1" not in done.output
    pfile = _params(Path("."), {"network": GOOD_NETWORK})
    for value in ('{"password": "long-enough-pw", "pin": "9999-0000"}', None):
        extra = ["--parameter", f"admin={value}"] if value else ["--parameter", "secret=9999-0000"]
        done = CliRunner().invoke(
            cli,
            ["template", "rows", "--template", str(template), "--parameters", str(pfile), *extra],
        )
        assert done.exit_code == EXIT_USAGE, done.output
        assert "(a secure value) is not one of its allowedValues" in done.output or (
            "parameter 'secret': value has 9 character(s)" in done.output
        )
        assert "9999-0000" not in done.output


def test_a_reference_to_no_definition_is_exit_2_at_the_declaration(tmp_path: Path) -> None:
    params = {**PARAMETERS, "broken": {"$ref": _REF + "nowhere", "nullable": True}}
    template = _template(tmp_path, params)
    with pytest.raises(InputError) as info:
        _collect(template, [_params(tmp_path, {"network": GOOD_NETWORK})])
    declared = _line_of(template, '"broken": {', _line_of(template, '"parameters": {'))
    assert str(info.value).startswith(f"{template}:{declared}:")
    assert "type 'nowhere' is not defined" in str(info.value)


def test_a_nullable_type_needs_no_value_and_a_required_one_does(tmp_path: Path) -> None:
    """'zone' is nullable through its type only; 'network' has no default and no value."""
    with pytest.raises(InputError, match=r"required parameter\(s\) without a value: network \("):
        _collect(_template(tmp_path), [])


def test_a_self_referring_type_is_an_error_not_a_hang() -> None:
    loop = {"a": {"$ref": _REF + "b"}, "b": {"$ref": _REF + "a"}}
    with pytest.raises(TypeSpecError, match="refers to itself"):
        effective({"$ref": _REF + "a"}, loop)


# ---------------------------------------------------------------- properties of the checker


def _leaf() -> st.SearchStrategy[tuple[dict[str, Any], Any]]:
    """A constrained scalar type and a value inside it."""
    lengths = st.tuples(st.integers(0, 4), st.integers(0, 4)).map(sorted)
    strings = lengths.flatmap(
        lambda b: st.tuples(
            st.just({"type": "string", "minLength": b[0], "maxLength": b[1]}),
            st.text("abcXYZ", min_size=b[0], max_size=b[1]),
        )
    )
    bounds = st.tuples(st.integers(-5, 5), st.integers(-5, 5)).map(sorted)
    ints = bounds.flatmap(
        lambda b: st.tuples(
            st.just({"type": "int", "minValue": b[0], "maxValue": b[1]}), st.integers(b[0], b[1])
        )
    )
    allowed = st.lists(st.sampled_from(["a", "B", "c"]), min_size=1, unique=True).flatmap(
        lambda xs: st.tuples(
            st.just({"type": "string", "allowedValues": xs}),
            st.sampled_from(xs).map(lambda x: x.swapcase()),  # case is ignored
        )
    )
    return st.one_of(strings, ints, allowed)


def _typed(depth: int = 2) -> st.SearchStrategy[tuple[dict[str, Any], Any]]:
    """A (possibly nested) type and a value inside it."""
    if depth == 0:
        return _leaf()
    inner = _typed(depth - 1)
    objects = st.dictionaries(st.sampled_from(["p", "q", "r"]), inner, max_size=3).map(
        lambda props: (
            {"type": "object", "properties": {k: s for k, (s, _) in props.items()}},
            {k: v for k, (_, v) in props.items()},
        )
    )
    arrays = st.tuples(inner, st.integers(0, 3)).map(
        lambda t: ({"type": "array", "items": t[0][0]}, [t[0][1]] * t[1])
    )
    return st.one_of(_leaf(), objects, arrays)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_typed())
def test_a_value_built_inside_its_type_passes(typed: tuple[dict[str, Any], Any]) -> None:
    spec, value = typed
    assert violation(spec, value) is None
    assert type_violation(spec, value, {}, violation) is None


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_typed(), _typed(), st.sampled_from(["object", "array", "ref"]))
def test_wrapping_a_type_keeps_the_verdict_and_names_the_path(
    typed: tuple[dict[str, Any], Any], other: tuple[dict[str, Any], Any], wrapper: str
) -> None:
    """Inside an object property, an array item or a $ref, a type judges a value (often one
    built for another type) as at the top level, with the path in front."""
    spec, value = typed[0], other[1]
    own = violation(spec, value)
    top = own or type_violation(spec, value, {}, violation)
    defs: dict[str, Any] = {}
    if wrapper == "array":
        outer: dict[str, Any] = {"type": "array", "items": spec}
        wrapped: Any = [value]
        prefix = "[0]"
    else:
        inner = spec if wrapper == "object" else {"$ref": _REF + "t"}
        defs = {} if wrapper == "object" else {"t": spec}
        outer, wrapped, prefix = {"type": "object", "properties": {"w": inner}}, {"w": value}, "w"
    got = type_violation(outer, wrapped, defs, violation)
    if top is None:
        assert got is None
    elif own:
        assert got == f"{prefix}: {own}"
    else:
        assert got == prefix + ("" if top.startswith("[") else ".") + top


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=12,
    ),
)
def test_any_declaration_and_value_give_a_verdict_or_a_type_error(spec: Any, value: Any) -> None:
    """Hostile declarations and values: a message, None or TypeSpecError, never a crash."""
    try:
        got = type_violation(spec, value, {"x": {"$ref": _REF + "x"}}, violation)
    except TypeSpecError:
        return
    assert got is None or isinstance(got, str)
