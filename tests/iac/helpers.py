"""Shared helpers of the template tests: one expression in a minimal deployment, and THE one
place these tests run the rule pack (the lead is folding run_scan into evaluate())."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amlguard.iac.evaluator import Target
from amlguard.iac.jsonpos import JsonDoc
from amlguard.iac.source import TemplateSource
from amlguard.iac.template import Expansion, Run
from amlguard.scanner.model import ScanResult

DATA = Path(__file__).parent / "data"
SUB = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
RG = "ml-secure-blueprint"


def ev(expression: str, params: dict[str, Any] | None = None) -> Any:
    """The value of ``[expression]`` in a resource-group deployment with string params."""
    params = params or {}
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {name: {"type": "object"} for name in params},
        "resources": [],
    }
    doc = JsonDoc(template, "t.json", "{}")
    target = Target("resourceGroup", SUB, RG, "westeurope", "tenant-1", "dep")
    run = Run(Expansion(), doc, (), target, params)
    return run.value_at(f"[{expression}]", ())


def scan(source: TemplateSource) -> ScanResult:
    """Run the built-in pack over a template source, as ``amlguard check`` does."""
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, run_scan, select_rules

    pack = load_pack()
    return run_scan(source, pack, select_rules(pack), ScanOptions())
