"""The built-in Bicep reader (the ``bicep`` extra): the same rows as the compiled JSON, Bicep
positions, best effort in every header, and exit 2 at ``file:line:col`` for what it cannot
read. Without the extra these tests skip, except under CI, where they fail."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs
from tests.iac.helpers import DATA

AI = DATA / "ai-studio-secure"
AVM = DATA / "avm-ml-workspace"
CONTEXT = DeploymentContext(location="westeurope")
_AI_ARGS = [
    "check",
    "--template",
    str(AI / "main.bicep"),
    "--parameters",
    str(AI / "main.bicepparam"),
    "--deployment-location",
    "westeurope",
]


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


def rows_of(templates: list[Path], params: list[Path]) -> dict[str, str]:
    source = TemplateSource(templates, params, {}, CONTEXT)
    rows = source.collect(Needs(types=())).rows
    return {r["id"].lower(): json.dumps(r, sort_keys=True, default=str) for r in rows}


def test_ai_studio_bicep_gives_the_rows_of_its_compiled_json() -> None:
    """Both ship in the sample (the JSON is `bicep build` of main.bicep): same ids, same rows,
    same unknowns (an unknown's text is its key)."""
    params = [AI / "azuredeploy.parameters.json"]
    compiled = rows_of([AI / "azuredeploy.json"], params)
    lowered = rows_of([AI / "main.bicep"], params)
    assert len(compiled) == 79
    assert lowered.keys() == compiled.keys()
    different = [k for k in compiled if compiled[k] != lowered[k]]
    assert different == []


def test_bicepparam_is_read_without_the_cli() -> None:
    with_file = rows_of([AI / "main.bicep"], [AI / "main.bicepparam"])
    assert any("/bami-hub-test" in k for k in with_file)


def test_locations_are_in_the_bicep_source_with_the_parameter_default() -> None:
    done = CliRunner().invoke(
        cli,
        [*_AI_ARGS, "--rule", "AMLG-231", "-f", "json"],
    )
    assert done.exit_code == 1, done.output
    doc = json.loads(done.stdout)
    assert doc["source"]["description"].endswith("(built-in Bicep reader: best effort)")
    (finding,) = [f for f in doc["findings"] if f["status"] == "fail"]
    loc = finding["location"]
    assert loc["file"].endswith("modules/aiServices.bicep")
    text = (AI / "modules" / "aiServices.bicep").read_text().splitlines()[loc["line"] - 1]
    assert "publicNetworkAccess" in text
    related = {(Path(r["file"]).name, r["line"]) for r in loc["related"]}
    assert ("main.bicep", 110) in related  # where the value is chosen: the parameter default
    assert "Trustno1234" not in done.output  # the .bicepparam's VM password


def test_every_report_header_says_best_effort() -> None:
    for fmt in ("console", "markdown", "junit", "sarif", "html"):
        done = CliRunner().invoke(
            cli,
            [*_AI_ARGS, "-f", fmt],
        )
        assert done.exit_code == 1, (fmt, done.output)
        assert "best effort" in done.stdout, fmt


def _write(tmp_path: Path, text: str, name: str = "main.bicep") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        rows_of([path], [])
    return str(info.value)


def test_a_grammar_gap_is_exit_2_at_its_position(tmp_path: Path) -> None:
    """Syntax tree-sitter-bicep 1.1.0 does not know (here a spread in a call's arguments,
    which the pre-pass does not rewrite) is exit 2 at its position."""
    path = _write(tmp_path, "param p array\n\nvar v = concat(...p)\noutput o array = v\n")
    message = _error(path)
    assert message.startswith(f"{path}:3:"), message
    assert "syntax error" in message


def test_avm_without_its_registry_module_restored_is_exit_2_at_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AVM's workspace module calls the private-endpoint module from the public registry."""
    monkeypatch.setenv("BICEP_CACHE", str(tmp_path))  # an empty restore cache
    message = _error(AVM / "main.bicep")
    assert message.startswith(f"{AVM / 'main.bicep'}:409:1: registry module"), message
    assert "restore cache" in message


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("var x = loadTextContent('a.txt')\n", 1, "loadTextContent()"),
        ("param p string\n\nvar y = p.foo()\n", 3, "method foo()"),
        ("module m 'br/public:avm/res/x:1.0.0' = {\n  name: 'm'\n}\n", 1, "restore cache"),
        ("module m 'ts:sub/rg/spec:1' = {\n  name: 'm'\n}\n", 1, "template spec"),
        (
            "resource r 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'a'\n"
            "  scope: tenant()\n}\n",
            3,
            "'scope'",
        ),
        ("var z = undeclared\n", 1, "'undeclared' is not declared"),
        ("@onlyIfNotExists()\nresource r 'A.B/c@1' = {\n  name: 'a'\n}\n", 2, "@onlyifnotexists"),
        ("module m './missing.bicep' = {\n  name: 'm'\n}\n", 1, "not found"),
    ],
)
def test_what_the_reader_does_not_understand_is_exit_2(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    path = _write(tmp_path, text + "output o string = 'x'\n")
    message = _error(path)
    assert message.startswith(f"{path}:{line}:"), message
    assert what in message


def test_a_restored_registry_module_is_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    restored = cache / "br" / "mcr.microsoft.com" / "bicep$avm$res$kv" / "1.0.0$" / "main.json"
    restored.parent.mkdir(parents=True)
    restored.write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "parameters": {"name": {"type": "string"}},
                "resources": [
                    {
                        "type": "Microsoft.KeyVault/vaults",
                        "apiVersion": "2023-07-01",
                        "name": "[parameters('name')]",
                        "properties": {"publicNetworkAccess": "Disabled"},
                    }
                ],
            }
        )
    )
    monkeypatch.setenv("BICEP_CACHE", str(cache))
    path = _write(
        tmp_path,
        "module kv 'br/public:avm/res/kv:1.0.0' = {\n  name: 'kv'\n  params: {\n"
        "    name: 'vault1'\n  }\n}\n",
    )
    rows = rows_of([path], [])
    (only,) = rows
    assert only.endswith("/providers/microsoft.keyvault/vaults/vault1")


def test_without_cli_and_extra_the_message_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bicepread, "available", lambda: False)
    path = _write(tmp_path, "output o string = 'x'\n")
    message = _error(path)
    assert "amlguard[bicep]" in message and "Bicep CLI" in message


def test_check_exit_code_for_an_unreadable_bicep_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "resource x 'A/b@1' = {\n  name: \n}\n")
    done = CliRunner().invoke(cli, ["check", "--template", str(path)])
    assert done.exit_code == EXIT_USAGE
    assert f"{path}:" in done.stderr


# ---- arbitrary input: rows or exit 2, never a traceback -------------------------------------

_HEADER = (
    "param p string = 'a'\n"
    "param n int = 2\n"
    "var v = [for (x, i) in range(0, n): { k: x, i: i }]\n"
    "resource r 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: p\n  location: 'x'\n}\n"
    "resource e 'Microsoft.Network/virtualNetworks@2023-01-01' existing = { name: 'vnet' }\n"
)
_DECLS = [
    "@secure()\nparam s string = 'hidden'\n",
    "var w = p == 'a' ? {} : []\n",
    "var t = '${p}-${n}'\n",
    "resource c 'Microsoft.Storage/storageAccounts/blobServices@2023-01-01' = {\n"
    "  parent: r\n  name: 'default'\n}\n",
    "resource l 'Microsoft.Network/privateEndpoints@2023-01-01' = [for x in v: if (x.i > 0) {\n"
    "  name: 'pe${x.i}'\n  properties: { subnet: { id: e.id } }\n}]\n",
    "output o string = r.id\n",
    "output q array = [for x in v: x.k]\n",
    "module m './m.bicep' = { name: 'm' }\n",
    "output mo string = m.outputs.o\n",
    "func f(a string) string => toUpper(a)\n",
    "var g = f(p)\n",
    "var h = r.properties.primaryEndpoints.blob\n",
    "var k = map(v, y => y.k)\n",
    "var z = r.?tags ?? {}\n",
    "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
    "  name: guid(r.id, 'x')\n  scope: r\n  properties: { principalId: r.identity.principalId }\n}\n",
]
_GARBAGE = ["}\n", "{", "'", "resource", " = ", "var \n", "${", "\u00e9", "[for", "@", "::"]


@st.composite
def _programs(draw: st.DrawFn) -> str:
    parts = [_HEADER, *draw(st.lists(st.sampled_from(_DECLS), unique=True, max_size=8))]
    text = "".join(parts)
    if draw(st.booleans()):  # break it somewhere
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(_GARBAGE)) + text[at:]
    return text


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.one_of(_programs(), st.text(max_size=60)))
def test_any_input_is_rows_or_an_input_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "main.bicep"
        path.write_text(text, encoding="utf-8")
        (Path(tmp) / "m.bicep").write_text("output o string = 'm'\n")
        try:
            rows = rows_of([path], [])
        except InputError as exc:
            assert str(exc).startswith(str(Path(tmp))), str(exc)
        else:
            assert isinstance(rows, dict)
            assert "hidden" not in json.dumps(rows)  # a secure default never reaches a row


def test_sources_record_the_licences_of_the_bicep_data() -> None:
    assert (AI / "LICENSE.md").is_file() and (AI / "main.bicep").is_file()
    text: Any = (DATA / "SOURCES.md").read_text()
    assert "azure-ai-studio-secure-bicep" in text
