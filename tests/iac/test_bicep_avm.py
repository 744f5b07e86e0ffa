"""The built-in Bicep reader on Azure Verified Modules' workspace module (2025 Bicep syntax:
nullable user-defined types, type imports from a registry, resource-derived types, spread,
non-null assertions, linter pragmas): the same rows and unknowns as the module's compiled
``main.json``, with its registry module restored from that same compiled JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from amlguard.iac import bicep, bicepread
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.rowsfile import rows_document
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs
from tests.iac.helpers import DATA

AVM = DATA / "avm-ml-workspace"
OWN = DATA / "own"
CONTEXT = DeploymentContext(location="westeurope")
_PE_MODULE = "bicep$avm$res$network$private-endpoint"


@pytest.fixture(autouse=True)
def builtin_reader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No Bicep CLI; a restore cache holding the private-endpoint module AVM calls, written
    from the nested template ``bicep build`` embedded for it in the compiled main.json."""
    if not bicepread.available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and the bicep extra (tree-sitter-bicep) is not installed")
        pytest.skip("the bicep extra is not installed (amlguard[bicep])")
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    compiled = json.loads((AVM / "main.json").read_text(encoding="utf-8"))
    nested = compiled["resources"]["workspace_privateEndpoints"]["properties"]["template"]
    cached = tmp_path / "br" / "mcr.microsoft.com" / _PE_MODULE / "0.10.1$"
    cached.mkdir(parents=True)
    (cached / "main.json").write_text(json.dumps(nested), encoding="utf-8")
    monkeypatch.setenv("BICEP_CACHE", str(tmp_path))
    yield


def _rows(
    template: Path, params: list[Path], values: dict[str, object]
) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    source = TemplateSource([template], params, values, CONTEXT)
    doc = rows_document(source, source.collect(Needs(types=())))
    rows = {r["id"].lower(): json.dumps(r, sort_keys=True, default=str) for r in doc["data"]}
    unknowns = sorted((u["resource_id"].lower(), u["path"], u["key"]) for u in doc["unknowns"])
    return rows, unknowns


@pytest.mark.parametrize(
    ("params", "values", "count"),
    [
        ([OWN / "avm-ml-workspace.parameters.json"], {}, 4),
        ([OWN / "avm-ml-workspace.max.parameters.json"], {}, 13),
        ([], {"name": "bare-ws", "sku": "Standard"}, 1),
    ],
)
def test_avm_bicep_gives_the_rows_of_its_compiled_json(
    params: list[Path], values: dict[str, object], count: int
) -> None:
    compiled, compiled_unknowns = _rows(AVM / "main.json", params, values)
    lowered, lowered_unknowns = _rows(AVM / "main.bicep", params, values)
    assert len(compiled) == count
    assert lowered.keys() == compiled.keys()
    assert [k for k in compiled if compiled[k] != lowered[k]] == []
    assert lowered_unknowns == compiled_unknowns


def test_the_spread_and_the_lock_condition_are_lowered_as_bicep_build_does() -> None:
    """``...(cond ? {x} : {})`` in the workspace properties and ``!empty(lock ?? {}) &&
    lock.?kind != 'None'`` (which tree-sitter-bicep 1.1.0 reads with the wrong precedence)."""
    lowered, _ = _rows(AVM / "main.bicep", [OWN / "avm-ml-workspace.max.parameters.json"], {})
    (ws,) = [json.loads(v) for k, v in lowered.items() if k.endswith("/workspaces/avm-mlw")]
    assert ws["properties"]["sharedPrivateLinkResources"][0]["name"] == "spl"
    assert any(k.endswith("/providers/microsoft.authorization/locks/avm-lock") for k in lowered)
    bare, _ = _rows(AVM / "main.bicep", [OWN / "avm-ml-workspace.parameters.json"], {})
    (ws,) = [json.loads(v) for k, v in bare.items() if k.endswith("/workspaces/avm-mlw")]
    assert "sharedPrivateLinkResources" not in ws["properties"]
    assert not any("/locks/" in k for k in bare)
