"""A parameter value ARM would refuse (allowedValues, minValue/maxValue, minLength/maxLength,
and Bicep's decorators that compile to them) is exit 2 naming the parameter, its declaration
and where the value came from; a secure value is never shown."""

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
from amlguard.iac import bicep, bicepread
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.paramcheck import violation
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs

_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
_PARAMS = {
    "sku": {"type": "string", "defaultValue": "Basic", "allowedValues": ["Basic", "Standard"]},
    "zones": {"type": "array", "defaultValue": ["1"], "allowedValues": ["1", "2", "3"]},
    "count": {"type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 3},
    "name": {"type": "string", "defaultValue": "abc", "minLength": 3, "maxLength": 24},
    "tags": {"type": "array", "defaultValue": [], "maxLength": 2},
    "key": {"type": "securestring", "defaultValue": "Secret-123", "minLength": 8},
}


def _template(tmp_path: Path, params: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "main.json"
    doc = {"$schema": _SCHEMA, "contentVersion": "1.0.0.0", "parameters": params or _PARAMS}
    path.write_text(json.dumps({**doc, "resources": []}, indent=2))
    return path


def _collect(templates: list[Path], files: list[Path], values: dict[str, Any]) -> None:
    source = TemplateSource(templates, files, values, DeploymentContext(location="westeurope"))
    source.collect(Needs(types=()))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("sku", "Premium", "is not one of its allowedValues"),
        ("zones", ["1", "4"], 'an element "4"'),
        ("count", 0, "less than minValue 1"),
        ("count", 4, "greater than maxValue 3"),
        ("name", "ab", "shorter than minLength 3"),
        ("name", "x" * 25, "longer than maxLength 24"),
        ("tags", ["a", "b", "c"], "3 element(s): longer than maxLength 2"),
    ],
)
def test_a_value_from_a_parameter_file_outside_its_constraint_is_exit_2(
    tmp_path: Path, name: str, value: Any, words: str
) -> None:
    template = _template(tmp_path)
    pfile = tmp_path / "main.parameters.json"
    pfile.write_text(json.dumps({"parameters": {name: {"value": value}}}, indent=2))
    with pytest.raises(InputError) as info:
        _collect([template], [pfile], {})
    message = str(info.value)
    declared = _line_of(template, '"' + name + '": {')
    assert message.startswith(f"{template}:{declared}:")
    assert f"parameter '{name}'" in message and words in message
    value_line = _line_of(pfile, '"' + name + '"') + 1
    assert f"{pfile}:{value_line}:" in message  # the value's line


def test_allowed_values_ignore_case_and_every_allowed_element_passes(tmp_path: Path) -> None:
    """ARM accepts 'standard' for 'Standard' (Azure/bicep#2489); defaults are within bounds."""
    _collect([_template(tmp_path)], [], {"sku": "standard", "zones": '["3", "1"]', "count": "3"})


def test_a_default_and_a_command_line_value_say_so(tmp_path: Path) -> None:
    params = {"sku": {"type": "string", "defaultValue": "Gold", "allowedValues": ["Basic"]}}
    with pytest.raises(InputError, match=r"from its default"):
        _collect([_template(tmp_path, params)], [], {})
    with pytest.raises(InputError, match=r"from --parameter"):
        _collect([_template(tmp_path)], [], {"sku": "Gold"})


def test_a_secure_value_is_never_shown(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli,
        ["template", "rows", "--template", str(_template(tmp_path)), "--parameter", "key=Tiny1"],
    )
    assert done.exit_code == EXIT_USAGE, done.output
    assert "parameter 'key'" in done.output and "Tiny1" not in done.output


def test_a_module_call_outside_the_constraint_names_the_call(tmp_path: Path) -> None:
    inner = {"$schema": _SCHEMA, "parameters": _PARAMS, "resources": []}
    outer = {
        "$schema": _SCHEMA,
        "resources": [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"count": {"value": 9}},
                    "template": inner,
                },
            }
        ],
    }
    path = tmp_path / "outer.json"
    path.write_text(json.dumps(outer, indent=2))
    with pytest.raises(InputError) as info:
        _collect([path], [], {})
    message = str(info.value)
    assert "parameter 'count'" in message and "greater than maxValue 3" in message
    call = _line_of(path, '"value": 9')
    assert f"the call at {path}:{call}:" in message


@pytest.mark.skipif(not bicepread.available(), reason="the bicep extra is not installed")
def test_bicep_decorators_are_checked_by_the_built_in_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    path = tmp_path / "main.bicep"
    path.write_text(
        "@allowed([\n  'Basic'\n  'Standard'\n])\nparam sku string = 'Basic'\n\n"
        "@minValue(1)\n@sys.maxValue(3)\nparam count int = 1\n\n"
        "@minLength(3)\nparam name string = 'abc'\n\noutput o string = sku\n"
    )
    _collect([path], [], {"sku": "Standard", "count": "3"})
    for values, line, words in (
        ({"sku": "Premium"}, 5, "allowedValues"),
        ({"count": "4"}, 9, "maxValue 3"),
        ({"name": "ab"}, 12, "minLength 3"),
    ):
        with pytest.raises(InputError) as info:
            _collect([path], [], values)
        assert str(info.value).startswith(f"{path}:{line}:"), info.value
        assert words in str(info.value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=6,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.lists(_JSON, min_size=1, max_size=4), st.data())
def test_a_value_among_the_allowed_is_never_refused(allowed: list[Any], data: Any) -> None:
    value = data.draw(st.sampled_from(allowed))
    assert violation({"type": "object", "allowedValues": allowed}, value) is None
    items = data.draw(st.lists(st.sampled_from(allowed), max_size=3))
    assert violation({"type": "array", "allowedValues": allowed}, items) is None


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["allowedValues", "minValue", "maxLength", "type"]), _JSON),
    _JSON,
)
def test_any_declaration_and_value_give_a_verdict_without_raising(
    spec: dict[str, Any], value: Any
) -> None:
    result = violation(spec, value)
    assert result is None or isinstance(result, str)
