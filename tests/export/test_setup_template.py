"""The shipped setup (examples/log-analytics): ARM JSON and Bicep agree with each other and with
the rows amlguard sends; the workbook is the one the template deploys.

The official deployment-template JSON Schema (and the resource schemas it references) is not
available offline, so the template is checked against the structure that schema prescribes for
the parts used here (below), plus every parameter/variable reference resolved.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from amlguard.export.rows import COLUMNS, valid_column_name
from tests.export.helpers import ROOT

FOLDER = ROOT / "examples" / "log-analytics"
ARM = json.loads((FOLDER / "azuredeploy.json").read_text(encoding="utf-8"))
BICEP = (FOLDER / "main.bicep").read_text(encoding="utf-8")
WORKBOOK_TEXT = (FOLDER / "workbook.json").read_text(encoding="utf-8")
PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"  # Monitoring Metrics Publisher

_EXPR = {"type": "string", "pattern": r"^\[.*\]$"}
TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["$schema", "contentVersion", "resources"],
    "additionalProperties": False,
    "properties": {
        "$schema": {
            "const": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
        },
        "contentVersion": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+){3}$"},
        "metadata": {"type": "object"},
        "parameters": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["type"],
                "additionalProperties": False,
                "properties": {
                    "type": {
                        "enum": [
                            "string",
                            "securestring",
                            "int",
                            "bool",
                            "object",
                            "secureObject",
                            "array",
                        ]
                    },
                    "defaultValue": {},
                    "allowedValues": {"type": "array"},
                    "minValue": {"type": "integer"},
                    "maxValue": {"type": "integer"},
                    "minLength": {"type": "integer"},
                    "maxLength": {"type": "integer"},
                    "metadata": {"type": "object"},
                },
            },
        },
        "variables": {"type": "object"},
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "apiVersion", "name"],
                "additionalProperties": False,
                "properties": {
                    "condition": {"oneOf": [{"type": "boolean"}, _EXPR]},
                    "type": {"type": "string", "pattern": r"^[A-Za-z]+\.[A-Za-z]+/[A-Za-z/]+$"},
                    "apiVersion": {
                        "type": "string",
                        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$",
                    },
                    "name": {"type": "string", "minLength": 1},
                    "location": {"type": "string"},
                    "kind": {"type": "string"},
                    "scope": {"type": "string"},
                    "properties": {"type": "object"},
                    "dependsOn": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "object"},
                },
            },
        },
        "outputs": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {"type": {"enum": ["string", "int", "bool", "object", "array"]}},
            },
        },
    },
}


def _resource(rtype: str) -> dict[str, Any]:
    (found,) = [r for r in ARM["resources"] if r["type"].lower() == rtype.lower()]
    return found


def _table_columns() -> list[dict[str, str]]:
    """The table's columns: the template's copy loop over streamColumns, evaluated."""
    (loop,) = ARM["variables"]["copy"]
    assert loop["name"] == "tableColumns"
    assert "variables('streamColumns')" in loop["count"]
    assert loop["input"]["type"].startswith("[if(equals(") and "'dateTime'" in loop["input"]["type"]
    return [
        {"name": c["name"], "type": "dateTime" if c["type"] == "datetime" else c["type"]}
        for c in ARM["variables"]["streamColumns"]
    ]


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [k, *_strings(v)]]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_the_template_has_the_deployment_template_structure() -> None:
    jsonschema.Draft202012Validator(TEMPLATE_SCHEMA).validate(ARM)
    for name, param in ARM["parameters"].items():
        default = param.get("defaultValue")
        kind = {"string": str, "int": int, "bool": bool}[param["type"]]
        if default is not None and not (isinstance(default, str) and default.startswith("[")):
            assert isinstance(default, kind), name


def test_every_reference_resolves_and_every_parameter_is_used() -> None:
    texts = [
        s
        for s in _strings(ARM["resources"]) + _strings(ARM["outputs"]) + _strings(ARM["variables"])
    ]
    expressions = [s for s in texts if s.startswith("[") and s.endswith("]")]
    assert expressions
    used_params = {m for e in expressions for m in re.findall(r"parameters\('([^']+)'\)", e)}
    used_vars = {m for e in expressions for m in re.findall(r"variables\('([^']+)'\)", e)}
    assert used_params == set(ARM["parameters"])
    assert used_vars <= set(ARM["variables"]) - {"copy"} | {"tableColumns"}
    for e in expressions:
        assert e.count("(") == e.count(")") and e.count("'") % 2 == 0, e


def test_table_stream_and_rows_have_the_same_columns() -> None:
    stream = [{"name": n, "type": t} for n, t in COLUMNS.items()]
    assert ARM["variables"]["streamColumns"] == stream
    assert [c["name"] for c in _table_columns()] == list(COLUMNS)
    assert all(valid_column_name(c["name"]) for c in _table_columns())
    table = _resource("Microsoft.OperationalInsights/workspaces/tables")
    assert ARM["variables"]["tableName"] == "AmlGuardFindings_CL"
    assert table["properties"]["schema"]["columns"] == "[variables('tableColumns')]"
    assert {c["type"] for c in _table_columns()} <= {
        "string",
        "int",
        "long",
        "real",
        "boolean",
        "dateTime",
        "dynamic",
        "guid",
    }


def test_a_direct_dcr_with_a_transformation_into_the_table() -> None:
    dcr = _resource("Microsoft.Insights/dataCollectionRules")
    assert dcr["kind"] == "Direct"
    props = dcr["properties"]
    assert list(props["streamDeclarations"]) == ["Custom-AmlGuardFindings"]
    assert ARM["variables"]["streamName"] == "Custom-AmlGuardFindings"
    (flow,) = props["dataFlows"]
    assert flow["transformKql"].startswith("source")
    assert flow["outputStream"] == "[format('Custom-{0}', variables('tableName'))]"
    assert flow["destinations"] == [props["destinations"]["logAnalytics"][0]["name"]]
    assert any("tables" in d for d in dcr["dependsOn"])
    assert "endpoints.logsIngestion" in ARM["outputs"]["ingestionUrl"]["value"]


def test_the_scanner_gets_monitoring_metrics_publisher_on_the_dcr() -> None:
    role = _resource("Microsoft.Authorization/roleAssignments")
    assert "dataCollectionRules" in role["scope"]
    assert ARM["variables"]["publisherRoleId"] == PUBLISHER
    assert "variables('publisherRoleId')" in role["properties"]["roleDefinitionId"]
    assert role["properties"]["principalId"] == "[parameters('scannerPrincipalId')]"


def test_the_template_deploys_the_shipped_workbook() -> None:
    workbook = _resource("Microsoft.Insights/workbooks")
    assert json.loads(workbook["properties"]["serializedData"]) == json.loads(WORKBOOK_TEXT)
    doc = json.loads(WORKBOOK_TEXT)
    assert doc["version"] == "Notebook/1.0"
    queries = [i["content"]["query"] for i in doc["items"] if i["type"] == 3]
    titles = [i["content"]["title"] for i in doc["items"] if i["type"] == 3]
    assert len(queries) >= 4
    for needle in (
        "drifted over time",
        "Top failing rules",
        "New high failures this week",
        "per subscription",
    ):
        assert any(needle.lower() in t.lower() for t in titles), needle
    for query in queries:
        assert "AmlGuardFindings_CL" in query
        for column in re.findall(
            r"\b(RowType|Status|Severity|ScanId|InstanceId|SubscriptionId)\b", query
        ):
            assert column in COLUMNS


def _bicep_resources() -> list[tuple[str, str]]:
    return re.findall(r"^resource \w+ '([^@']+)@([^']+)'", BICEP, re.M)


def test_bicep_and_arm_json_agree() -> None:
    columns = re.search(r"var streamColumns = \[(.*?)\n\]", BICEP, re.S)
    assert columns is not None
    pairs = re.findall(r"\{ name: '(\w+)', type: '(\w+)' \}", columns.group(1))
    assert dict(pairs) == COLUMNS
    assert set(re.findall(r"^param (\w+) ", BICEP, re.M)) == set(ARM["parameters"])
    arm = {(r["type"], r["apiVersion"]) for r in ARM["resources"]}
    # the workspace is an 'existing' reference in Bicep, not a deployed resource
    assert (
        set(_bicep_resources()) - {("Microsoft.OperationalInsights/workspaces", "2022-10-01")}
        == arm
    )
    assert "loadTextContent('workbook.json')" in BICEP
    assert "kind: 'Direct'" in BICEP and PUBLISHER in BICEP
    assert set(re.findall(r"^output (\w+) ", BICEP, re.M)) == set(ARM["outputs"])


def test_parameter_defaults_match_bicep() -> None:
    name = "defaultValue"
    for param, spec in ARM["parameters"].items():
        match = re.search(rf"^param {param} (\w+)(?: = (.+))?$", BICEP, re.M)
        assert match is not None, param
        if name in spec and isinstance(spec[name], (int, bool)) and not isinstance(spec[name], str):
            assert match.group(2) == json.dumps(spec[name]), param
        elif name in spec and not str(spec[name]).startswith("["):
            assert match.group(2) == f"'{spec[name]}'", param
