"""A template file and its parameters -> inventory rows in Resource Graph's shape.

Rows hold what a deployment would create: nested deployments are flattened (they are not
rows), ``existing`` resources are not emitted, conditional resources only when the condition
is true (or unknown: then emitted and listed in ``conditional``). Values known only after
deployment are :class:`~amlguard.scanner.unknown.Unknown`; the runtime values a live row has
and a template cannot (identity principal ids, private endpoint connection states) are filled
in: principals as unknowns keyed by their identity, so a role assignment to
``reference(identity).principalId`` matches the workspace's identity; endpoint connections as
unknowns naming the approval the template requests (automatic or manual): what a rule assumes
about them is declared in the rule's ``iac:`` block (amlguard.iac.treatment).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.iac.evaluator import Target, supported
from amlguard.iac.expr import ExprError, functions_used, is_expression, parse_expression
from amlguard.iac.jsonpos import JsonDoc, Location
from amlguard.iac.paramcheck import check_parameters, definitions_of
from amlguard.iac.resources import DEPLOYMENTS, ResInstance, schema_kind
from amlguard.iac.template import Expansion, Run, TemplateError
from amlguard.iac.typecheck import TypeSpecError, effective
from amlguard.iac.values import Unknown, materialize
from amlguard.scanner import ids
from amlguard.scanner.paths import MISSING, get_key

PLACEHOLDER_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
DEFAULT_RESOURCE_GROUP = "iac-check-rg"
DEFAULT_LOCATION = "westeurope"
#: what a connection the template creates requests, by the list it is declared in
APPROVAL_REQUESTS = (
    ("privateLinkServiceConnections", "automatic"),
    ("manualPrivateLinkServiceConnections", "manual"),
)


@dataclass(frozen=True, slots=True)
class DeploymentContext:
    """Where the templates would be deployed (``resourceGroup()``, ``subscription()``...)."""

    subscription_id: str = PLACEHOLDER_ID
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str | None = None  # None: westeurope, with a warning
    tenant_id: str = PLACEHOLDER_ID
    management_group: str = ""
    deployment_name: str | None = None  # None: the template file's name without extension


@dataclass(slots=True)
class Expanded:
    """What one template would deploy: rows, where each resource is written, what is unknown."""

    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    instances: dict[str, ResInstance] = field(default_factory=dict)  # lower id -> instance
    conditional: list[str] = field(default_factory=list)  # ids whose condition is unknown
    param_origins: dict[str, Location] = field(default_factory=dict)  # name -> file position
    # resources read from a bicep snapshot: lower id -> (document, path of its object)
    positions: dict[str, tuple[JsonDoc, tuple[str | int, ...]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def location(self, resource_id: str, prop: tuple[str | int, ...] = ()) -> Location | None:
        """Where a resource (or one of its properties) is written; None when not from here."""
        inst = self.instances.get(ids.norm(resource_id))
        if inst is not None:
            return inst.location(prop)
        found = self.positions.get(ids.norm(resource_id))
        return found[0].location((*found[1], *prop)) if found else None

    def call_sites(self, resource_id: str) -> list[Location]:
        """The nested-deployment declarations a resource was deployed through, innermost first."""
        inst = self.instances.get(ids.norm(resource_id))
        out = []
        run = inst.run if inst is not None else None
        while run is not None and run.call_site is not None:
            out.append(run.call_site.location())
            run = run.call_site.run
        return out


_SKIP_SCAN = {"metadata", "$schema", "contentversion", "apiprofile", "description"}


def check_functions(doc: JsonDoc) -> None:
    """Every expression of a template parses and calls only supported functions (else exit 2)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc.value, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if str(k).lower() in _SKIP_SCAN:
                    continue
                if isinstance(k, str) and is_expression(k):
                    _check(doc, k, (*path, k))
                stack.append((v, (*path, k)))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        elif isinstance(value, str) and is_expression(value):
            _check(doc, value, path)


def _check(doc: JsonDoc, text: str, path: tuple[str | int, ...]) -> None:
    try:
        node = parse_expression(text)
    except ExprError as exc:
        raise TemplateError(
            f"{doc.location(path)}: invalid expression (column {exc.column}): {exc}"
        ) from None
    for name, column in functions_used(node):
        if not supported(name):
            raise TemplateError(
                f"{doc.location(path)}: function '{name}' (column {column} of the expression) is "
                "not supported by amlguard's template evaluator; see README 'Checking templates "
                "before deployment' for the supported set"
            )


def convert_override(spec: dict[str, Any] | None, text: str) -> Any:
    """A ``--parameter NAME=VALUE`` string as the declared type wants it."""
    kind = str((spec or {}).get("type", "string")).lower()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise InputError(f"--parameter value {text!r} is not an integer") from None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise InputError(f"--parameter value {text!r} is not true or false")
        return text.lower() == "true"
    if kind in ("object", "array", "secureobject"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"--parameter value is not JSON ({exc.msg})") from None
    return text


def expand(
    doc: JsonDoc,
    values: dict[str, Any],
    context: DeploymentContext,
    expansion: Expansion,
    origins: dict[str, Location] | None = None,
) -> Expanded:
    """Expand one template document with parameter values into rows (``origins``: where each
    given value is written; a value without one came from ``--parameter``)."""
    template = doc.value
    if not isinstance(template, dict) or "resources" not in template:
        raise InputError(f"{doc.file}: not an ARM template (no 'resources')")
    check_functions(doc)
    out = Expanded(doc.file)
    location: Any = context.location
    if not location:
        location = DEFAULT_LOCATION
        out.warnings.append(
            f"{doc.file}: no deployment location given; resourceGroup().location is "
            f"{DEFAULT_LOCATION} (--deployment-location)"
        )
    kind = schema_kind(template)
    target = Target(
        kind,
        context.subscription_id,
        context.resource_group if kind == "resourceGroup" else "",
        location,
        context.tenant_id,
        context.deployment_name or Path(doc.file).stem,
        context.management_group,
    )
    run = Run(expansion, doc, (), target, values)
    missing = run.missing_parameters()
    if missing:
        raise InputError(
            f"{doc.file}: required parameter(s) without a value: {', '.join(missing)} "
            "(give --parameters FILE or --parameter NAME=VALUE)"
        )
    given = origins or {}
    check_parameters(run, lambda low: str(given[low]) if low in given else "--parameter")
    index: dict[str, int] = {}
    for inst in run.all_instances():
        if inst.existing or inst.type.lower() == DEPLOYMENTS:
            continue
        key = ids.norm(inst.id)
        out.instances[key] = inst
        row = to_row(inst, context.tenant_id)
        if key in index:  # deployed again by a later module call (AVM's 'init'/'idem' test)
            out.rows[index[key]] = row  # the resource is one row: the last PUT's
            continue
        index[key] = len(out.rows)
        out.rows.append(row)
        if _conditional(inst):
            out.conditional.append(inst.id)
    _synthesize(out.rows)
    return out


def _conditional(inst: ResInstance) -> bool:
    cur: ResInstance | None = inst
    while cur is not None:
        if isinstance(cur.condition, Unknown):
            return True
        cur = cur.run.call_site
    return False


def _location(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Unknown):
        return value.replace(" ", "").lower()
    return materialize(value) if value is not None else ""


def to_row(inst: ResInstance, tenant_id: str) -> dict[str, Any]:
    """One instance as a Resource Graph row."""
    declared = inst.location()
    return make_row(
        inst.id,
        inst.name,
        inst.type,
        inst.body(),
        inst.scope_id or inst.target.scope_id,
        tenant_id,
        f"{declared.file}:{declared.line}",  # where runtime values of this resource come from
    )


def make_row(
    rid: str, name: str, rtype: str, body: dict[str, Any], scope: str, tenant_id: str, where: str
) -> dict[str, Any]:
    """A resource body as a Resource Graph row, with the runtime fields a template lacks."""
    parts = ids.parse(rid)
    rtype = rtype.lower()
    props = _drop_nulls(materialize(body.get("properties")))
    if not isinstance(props, dict):
        props = {} if props is None else props
    row: dict[str, Any] = {
        "id": rid,
        "name": name.rsplit("/", 1)[-1],
        "type": rtype,
        "kind": materialize(body.get("kind")) or "",
        "location": _location(body.get("location")),
        "resourceGroup": parts.resource_group,
        "subscriptionId": parts.subscription_id,
        "tenantId": tenant_id,
        "sku": materialize(body.get("sku")),
        "identity": _identity(rid, _drop_nulls(materialize(body.get("identity"))), where),
        "properties": props,
        "tags": materialize(body.get("tags")) or {},
    }
    for extra in ("zones", "managedBy", "plan", "extendedLocation"):
        if extra in body:
            row[extra] = materialize(body[extra])
    if rtype == "microsoft.authorization/roleassignments" and isinstance(props, dict):
        props.setdefault("scope", scope)
    if rtype == "microsoft.managedidentity/userassignedidentities" and isinstance(props, dict):
        key = ids.norm(rid)
        for field_name in ("principalId", "clientId", "tenantId"):
            props.setdefault(field_name, Unknown(f"{key}:properties.{field_name}", where=where))
    if rtype == "microsoft.network/privateendpoints" and isinstance(props, dict):
        _connection_states(rid, props, where)
    return row


def approval_key(endpoint_id: str, target_id: Any, request: str) -> str:
    """The unknown key of a connection's approval state: rule ``iac: assume:`` globs match it
    (``*: approval (automatic)``), so the rules, not this code, say what is assumed."""
    target = ids.norm(target_id) if isinstance(target_id, str) else "?"
    return f"{ids.norm(endpoint_id)}: connection to {target}: approval ({request})"


def _connection_states(rid: str, props: dict[str, Any], where: str) -> None:
    """A connection's state exists only after deployment: an unknown naming the request."""
    # Property names in any casing (ARM's are case-insensitive): get_key reads them.
    for conn_key, request in APPROVAL_REQUESTS:
        for conn in _list_of(get_key(props, conn_key)):
            cprops = get_key(conn, "properties") if isinstance(conn, dict) else None
            if isinstance(cprops, dict) and (
                get_key(cprops, "privateLinkServiceConnectionState") is MISSING
            ):
                cprops["privateLinkServiceConnectionState"] = {
                    "status": Unknown(
                        approval_key(rid, get_key(cprops, "privateLinkServiceId"), request),
                        where=where,
                    ),
                    "description": f"{request} approval requested by the template",
                }


def _list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _drop_nulls(value: Any) -> Any:
    """Null members removed, as Azure stores them (a null in a PUT body sets nothing)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _identity(resource_id: str, identity: Any, where: str) -> Any:
    """Runtime identity fields as unknowns keyed by the identity they belong to."""
    if not isinstance(identity, dict):
        return identity
    kind = str(identity.get("type", "")).lower()
    key = ids.norm(resource_id)
    if "systemassigned" in kind:
        identity.setdefault("principalId", Unknown(f"{key}:identity.principalId", where=where))
        identity.setdefault("tenantId", Unknown(f"{key}:identity.tenantId", where=where))
    uais = identity.get("userAssignedIdentities")
    if isinstance(uais, dict):
        for uai, value in list(uais.items()):
            entry = value if isinstance(value, dict) else {}
            low = ids.norm(uai)
            entry.setdefault("principalId", Unknown(f"{low}:properties.principalId", where=where))
            entry.setdefault("clientId", Unknown(f"{low}:properties.clientId", where=where))
            uais[uai] = entry
    return identity


def _synthesize(rows: list[dict[str, Any]]) -> None:
    """Target-side private endpoint connections for endpoints the template creates."""
    by_id = {ids.norm(r["id"]): r for r in rows}
    for row in rows:
        if row["type"] != "microsoft.network/privateendpoints":
            continue
        props = get_key(row, "properties") or {}
        for conn_key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for conn in _list_of(get_key(props, conn_key)):
                cprops = get_key(conn, "properties") if isinstance(conn, dict) else None
                if not isinstance(cprops, dict):
                    continue
                target = by_id.get(ids.norm(get_key(cprops, "privateLinkServiceId")))
                if target is None or not isinstance(target.get("properties"), dict):
                    continue
                state = get_key(cprops, "privateLinkServiceConnectionState") or {}
                groups = get_key(cprops, "groupIds")
                target["properties"].setdefault("privateEndpointConnections", []).append(
                    {
                        "id": f"{target['id']}/privateEndpointConnections/{row['name']}",
                        "name": row["name"],
                        "properties": {
                            "privateEndpoint": {"id": row["id"]},
                            "privateLinkServiceConnectionState": dict(state),
                            "groupIds": None if groups is MISSING else groups,
                        },
                    }
                )


def load_run_values(
    doc: JsonDoc, given: dict[str, Any], overrides: dict[str, str]
) -> tuple[dict[str, Any], set[str]]:
    """The parameter values this template declares, from files and ``NAME=VALUE`` overrides;
    and the names it used (the caller reports names no template declares)."""
    decls = {str(k).lower(): (k, v) for k, v in (doc.value.get("parameters") or {}).items()}
    values: dict[str, Any] = {}
    used: set[str] = set()
    for name, value in given.items():
        if name.lower() in decls:
            values[decls[name.lower()][0]] = value
            used.add(name.lower())
    for name, text in overrides.items():
        if name.lower() in decls:
            key, spec = decls[name.lower()]
            # a user-defined type's own type (object, array...) decides the conversion; a bad
            # $ref is reported with its line when the parameters are checked
            with contextlib.suppress(TypeSpecError):
                spec = effective(spec, definitions_of(doc.value))
            values[key] = convert_override(spec if isinstance(spec, dict) else None, text)
            used.add(name.lower())
    return values, used


__all__ = [
    "DeploymentContext",
    "Expanded",
    "Expansion",
    "Run",
    "TemplateError",
    "expand",
    "load_run_values",
]
