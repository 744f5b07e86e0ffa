"""The built-in Bicep reader lowers ``type`` declarations to ARM ``definitions`` (as ``bicep
build`` does), so a parameter value outside a user-defined type is exit 2 at the parameter's
Bicep line with the path inside the value; what the reader does not lower (imported types) is
not judged. Without the bicep extra these tests skip, except under CI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amlguard.errors import InputError
from amlguard.iac import bicep, bicepread
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs

BICEP = """\
type subnet = {
  @minLength(1)
  @maxLength(80)
  name: string
  size: int?
  mode: 'Static' | 'Dynamic'
}

@sealed()
type network = {
  gateway: subnet?
  @allowed(['Basic', 'Premium'])
  sku: string
  @minLength(1)
  subnets: subnet[]
  pair: [string, int]?
  @secure()
  key: string?
}

type cat = {
  kind: 'cat'
  @maxValue(9)
  lives: int
}

type dog = {
  kind: 'dog'
  barks: bool
}

@discriminator('kind')
type pet = cat | dog

param net network

param pets pet[] = []

output o string = net.sku
"""
GOOD: dict[str, Any] = {
    "sku": "Basic",
    "subnets": [{"name": "a", "mode": "static"}, {"name": "b", "size": 24, "mode": "Dynamic"}],
    "pair": ["x", 1],
}


@pytest.fixture(autouse=True)
def builtin_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Bicep CLI, whatever the machine has: the built-in reader is what is tested."""
    if not bicepread.available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and the bicep extra (tree-sitter-bicep) is not installed")
        pytest.skip("the bicep extra is not installed (amlguard[bicep])")
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    yield


def _collect(tmp_path: Path, values: dict[str, Any], text: str = BICEP) -> Path:
    main = tmp_path / "main.bicep"
    main.write_text(text)
    pfile = tmp_path / "main.parameters.json"
    pfile.write_text(json.dumps({"parameters": {k: {"value": v} for k, v in values.items()}}))
    source = TemplateSource([main], [pfile], {}, DeploymentContext(location="westeurope"))
    source.collect(Needs(types=()))
    return main


def test_values_inside_the_types_pass(tmp_path: Path) -> None:
    pets = [{"kind": "cat", "lives": 9}, {"kind": "dog", "barks": True}]
    _collect(tmp_path, {"net": GOOD, "pets": pets})


def _net(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"net": _net(sku="Gold")}, "parameter 'net': sku: the value \"Gold\" is not one of"),
        ({"net": _net(gateway={"mode": "Static"})}, "gateway.name: required property is missing"),
        ({"net": _net(subnets=[])}, "subnets: value has 0 element(s): shorter than minLength 1"),
        ({"net": _net(subnets=[{"name": "", "mode": "Static"}])}, "subnets[0].name: value has 0"),
        ({"net": _net(subnets=[{"name": "a"}])}, "subnets[0].mode: required property is missing"),
        (
            {"net": _net(subnets=[{"name": "a", "mode": "Manual"}])},
            'subnets[0].mode: the value "Manual" is not one of',
        ),
        ({"net": _net(extra=1)}, "extra: property is not allowed (the type is sealed)"),
        ({"net": _net(pair=["x", 1, 2])}, "pair[2]: the tuple has 2 element(s)"),
        (
            {"net": GOOD, "pets": [{"kind": "cat", "lives": 10}]},
            "parameter 'pets': [0].lives: value 10",
        ),
        ({"net": GOOD, "pets": [{"kind": "fish"}]}, "parameter 'pets': [0].kind: 'fish' is"),
    ],
)
def test_a_value_outside_its_type_is_exit_2_at_the_parameter_s_line(
    tmp_path: Path, values: dict[str, Any], words: str
) -> None:
    with pytest.raises(InputError) as info:
        _collect(tmp_path, values)
    message = str(info.value)
    name = next(k for k in values if f"parameter '{k}'" in message)
    line = 1 + BICEP.splitlines().index(
        next(t for t in BICEP.splitlines() if t.startswith(f"param {name} "))
    )
    assert message.startswith(f"{tmp_path / 'main.bicep'}:{line}:"), message
    assert words in message and "main.parameters.json:" in message


def test_a_secure_property_is_never_shown(tmp_path: Path) -> None:
    text = BICEP.replace(
        "  @secure()\n  key: string?", "  @secure()\n  @allowed(['k-1'])\n  key: string?"
    )
    with pytest.raises(InputError) as info:
        _collect(tmp_path, {"net": _net(key="hunter2-secret")}, text)
    assert "key: the value (a secure value) is not one of" in str(info.value)
    assert "hunter2-secret" not in str(info.value)


def test_an_imported_type_is_not_judged(tmp_path: Path) -> None:
    """A type the reader does not lower accepts any value (as before), never a false exit 2."""
    (tmp_path / "types.bicep").write_text(
        "@export()\ntype thing = {\n  @minLength(5)\n  n: string\n}\n"
    )
    text = "import { thing } from 'types.bicep'\n\nparam t thing\n\noutput o object = t\n"
    _collect(tmp_path, {"t": {"n": "x"}}, text)
