"""``bicep snapshot`` output (``{"predictedResources": [...]}``) as rows.

The Bicep CLI's snapshot is its own evaluation of a deployment; each predicted resource becomes
a row like an expanded template resource. What the CLI could not evaluate stays an ``[...]``
expression string there: such values are unknowns (keyed by the expression), never text a
rule could mistake for a real value.
"""

from __future__ import annotations

from typing import Any

from amlguard.errors import InputError
from amlguard.iac.expand import Expanded, make_row
from amlguard.iac.expr import is_expression
from amlguard.iac.jsonpos import JsonDoc
from amlguard.iac.values import Unknown
from amlguard.scanner import ids

_ROLE_ASSIGNMENTS = "/providers/microsoft.authorization/roleassignments/"


def is_snapshot(doc: JsonDoc) -> bool:
    """A ``bicep snapshot`` document."""
    return isinstance(doc.value, dict) and isinstance(doc.value.get("predictedResources"), list)


def _unknowns(value: Any, where: str) -> Any:
    if isinstance(value, str) and is_expression(value):
        return Unknown(value[1:-1], where=where)
    if isinstance(value, dict):
        return {k: _unknowns(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v, where) for v in value]
    return value


def rows_of_snapshot(doc: JsonDoc, tenant_id: str) -> Expanded:
    """The rows of a snapshot; ``positions`` says where each predicted resource is written."""
    out = Expanded(doc.file)
    for i, resource in enumerate(doc.value["predictedResources"]):
        path = ("predictedResources", i)
        loc = doc.location(path)
        rid, rtype = resource.get("id") if isinstance(resource, dict) else None, None
        if isinstance(resource, dict):
            rtype = resource.get("type")
        if not isinstance(rid, str) or not isinstance(rtype, str) or not rid.startswith("/"):
            raise InputError(f"{loc}: a predicted resource needs an 'id' and a 'type'")
        body = _unknowns(resource, f"{loc.file}:{loc.line}")
        low = rid.lower()
        scope = rid[: low.rfind(_ROLE_ASSIGNMENTS)] if _ROLE_ASSIGNMENTS in low else ""
        name = str(resource.get("name") or rid.rsplit("/", 1)[-1])
        out.rows.append(
            make_row(rid, name, rtype, body, scope, tenant_id, f"{loc.file}:{loc.line}")
        )
        out.positions[ids.norm(rid)] = (doc, path)
    return out
