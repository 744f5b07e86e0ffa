"""The blueprint diagram draws the estate's networking even where nothing fails: public access,
private endpoints and their DNS zones, the solution VNet's DNS, and the approver role's scope."""

from __future__ import annotations

import copy
import itertools
import json
import re
from pathlib import Path
from typing import Any

from amlguard.reports.diagramfacts import facts, scope_text
from amlguard.reports.html import HtmlReport, diagram_of, report_data
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from tests.conftest import EXAMPLES
from tests.history.scans import scan
from tests.reports.chromium import attr, dump_dom, needs_chromium

ROLE = "microsoft.authorization/roleassignments"
SUB = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


def _rows(name: str = "compliant.json") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((EXAMPLES / name).read_text("utf-8"))["data"]
    return rows


def _boxes(result: ScanResult) -> dict[str, list[Any]]:
    model = diagram_of(report_data(result, ReportOptions()), 0)
    return {b[0]: b for b in model["boxes"]}


def test_a_compliant_workspace_shows_zones_scope_and_public_access(tmp_path: Path) -> None:
    boxes = _boxes(scan(tmp_path, _rows()))
    assert all(b[3] in ("pass", "none") for b in boxes.values())  # nothing fails...
    assert boxes["identity"][10] == [
        "AI Enterprise Network Connection Approver",
        "  at resource group ml-secure-blueprint",
    ]  # ...and still the approver role's scope is drawn
    zones = " ".join(boxes["endpoints"][10])
    for zone in (
        "api.azureml.ms",
        "notebooks.azure.net",
        "blob.core.windows.net",
        "file.core.windows.net",
        "vaultcore.azure.net",
        "azurecr.io",
        "openai.azure.com",
    ):
        assert zone in zones
    assert boxes["storage"][10] == ["public access: Disabled", "endpoints: blob, file (Approved)"]
    assert boxes["keyvault"][10] == ["public access: Disabled", "endpoints: vault (Approved)"]
    assert boxes["ai0"][10] == [
        "outbound: allowOpenAi (Active)",
        "public access: Disabled",
        "endpoints: account (Approved)",
    ]
    assert boxes["vnet"][10] == ["DNS servers: Azure-provided", "zone links to this VNet: 7 of 7"]


def test_the_drawn_state_follows_the_estate(tmp_path: Path) -> None:
    rows = _rows()
    for row in rows:
        if row["type"] == ROLE:
            row["properties"]["scope"] = SUB
        if row["type"] == "microsoft.storage/storageaccounts":
            row["properties"]["publicNetworkAccess"] = "Enabled"
        if row["type"] == "microsoft.network/virtualnetworks":
            row["properties"]["dhcpOptions"] = {"dnsServers": ["10.100.1.4"]}
    extra = copy.deepcopy(next(r for r in rows if r["type"] == ROLE))
    extra["id"] += "0"
    extra["properties"]["scope"] = "/providers/Microsoft.Management/managementGroups/corp"
    extra["properties"]["roleDefinitionId"] = (
        "/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-3333-4444-555555555555"
    )
    boxes = _boxes(scan(tmp_path, [*rows, extra]))
    assert boxes["identity"][10] == [
        "AI Enterprise Network Connection Approver",
        "  at subscription 8f1c2a6e",
        "role 11111111",
        "  at management group corp",
    ]
    assert boxes["storage"][10][0] == "public access: Enabled"
    assert boxes["vnet"][10][0] == "DNS servers: 10.100.1.4"


def test_boxes_grow_to_hold_their_lines_and_rows_never_overlap(tmp_path: Path) -> None:
    result = scan(tmp_path, _rows("drifted.json"))
    model = diagram_of(report_data(result, ReportOptions()), 0)
    for box in model["boxes"]:
        lines = len(box[5]) + len(box[10])
        assert 40 + 13 * lines <= box[9], box[0]
    tops = sorted({(b[7], b[9]) for b in model["boxes"]})
    for (y, h), (next_y, _h) in itertools.pairwise(tops):
        assert y + h < next_y
    assert model["size"][1] >= max(b[7] + b[9] for b in model["boxes"])


def test_without_an_inventory_the_diagram_still_draws(tmp_path: Path) -> None:
    result = scan(tmp_path, _rows())
    result.inventory = None
    boxes = _boxes(result)
    assert boxes["identity"][10] == [] and boxes["workspace"][10] == ["public access: Disabled"]
    assert facts(result.instances[0], None) == {}


def test_scopes_read_as_words() -> None:
    assert scope_text(f"{SUB}/resourceGroups/rg-a") == "resource group rg-a"
    assert scope_text(SUB) == "subscription 8f1c2a6e"
    assert (
        scope_text("/providers/Microsoft.Management/managementGroups/mg") == "management group mg"
    )
    assert scope_text("/") == "tenant root"
    assert (
        scope_text(f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st")
        == "st"
    )


@needs_chromium
def test_chromium_draws_the_zones_and_the_approver_scope(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(HtmlReport().render(scan(tmp_path, _rows()), ReportOptions()), "utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert attr(dom, "data-js-errors") == "0", attr(dom, "data-js-error-text")
    svg = re.search(r'<svg[^>]*class="diagram".*?</svg>', dom, re.S)
    assert svg is not None
    text = svg.group(0)
    assert "at resource group ml-secure-blueprint" in text
    assert "DNS zones: api.azureml.ms" in text and "vaultcore.azure.net" in text
    assert "zone links to this VNet: 7 of 7" in text
