"""Templates judged in the context of an estate (``--template`` with ``--snapshot`` or live flags).

The template's rows replace the estate's rows with the same id (the predicted state after the
deployment); every other row comes from the estate, so a module that references a shared hub
VNet or DNS zones is judged against reality. For a replaced resource, what only a deployment
creates and ARM keeps on a PUT is taken from the estate's row: identity principal ids, the
managed network's status and outbound-rule statuses, and the private endpoint connections of
the target. Template unknowns keyed by an identity the estate knows become its real principal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amlguard.iac import firewallips, peerings
from amlguard.iac.source import TemplateSource
from amlguard.iac.values import Unknown
from amlguard.scanner import ids
from amlguard.scanner.model import SourceInfo
from amlguard.scanner.sources.interface import Collected, Needs, Source


def _runtime_principals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Unknown key -> the value the estate holds (principal and client ids)."""
    known: dict[str, Any] = {}
    for row in rows:
        key = ids.norm(row.get("id"))
        identity: dict[str, Any] = row.get("identity") or {}
        if not isinstance(identity, dict):
            identity = {}
        if identity.get("principalId"):
            known[f"{key}:identity.principalId"] = identity["principalId"]
        for uai, value in (identity.get("userAssignedIdentities") or {}).items():
            if isinstance(value, dict):
                for field in ("principalId", "clientId"):
                    if value.get(field):
                        known[f"{ids.norm(uai)}:properties.{field}"] = value[field]
        props: dict[str, Any] = row.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        if str(row.get("type", "")).lower() == "microsoft.managedidentity/userassignedidentities":
            for field in ("principalId", "clientId", "tenantId"):
                if props.get(field):
                    known[f"{key}:properties.{field}"] = props[field]
    return known


def _resolve(value: Any, known: dict[str, Any]) -> Any:
    if isinstance(value, Unknown):
        return known.get(value.key, value)
    if isinstance(value, dict):
        return {k: _resolve(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, known) for v in value]
    return value


def _keep_runtime(new: dict[str, Any], old: dict[str, Any]) -> None:
    """Runtime-only fields of the live row that a template cannot write."""
    props, old_props = new.get("properties"), old.get("properties")
    if not isinstance(props, dict) or not isinstance(old_props, dict):
        return
    if "privateEndpointConnections" in old_props and "privateEndpointConnections" not in props:
        props["privateEndpointConnections"] = old_props["privateEndpointConnections"]
    _keep_addresses(props, old_props)
    network, old_network = props.get("managedNetwork"), old_props.get("managedNetwork")
    if isinstance(network, dict) and isinstance(old_network, dict):
        if "status" in old_network:
            network.setdefault("status", old_network["status"])
        rules, old_rules = network.get("outboundRules"), old_network.get("outboundRules")
        if isinstance(rules, dict) and isinstance(old_rules, dict):
            for name, rule in rules.items():
                old_rule = old_rules.get(name)
                if isinstance(rule, dict) and isinstance(old_rule, dict) and "status" in old_rule:
                    rule.setdefault("status", old_rule["status"])


def _keep_addresses(props: dict[str, Any], old_props: dict[str, Any]) -> None:
    """An Azure Firewall's private address (Azure assigns it; a PUT keeps it), by the name of
    its IP configuration, where the template's configuration does not write one."""
    configs, old_configs = props.get("ipConfigurations"), old_props.get("ipConfigurations")
    if not isinstance(configs, list) or not isinstance(old_configs, list):
        return
    old_by_name = {
        str(c.get("name")).lower(): c.get("properties")
        for c in old_configs
        if isinstance(c, dict) and isinstance(c.get("properties"), dict)
    }
    for cfg in configs:
        cprops = cfg.get("properties") if isinstance(cfg, dict) else None
        old = old_by_name.get(str(cfg.get("name")).lower()) if isinstance(cfg, dict) else None
        if isinstance(cprops, dict) and isinstance(old, dict) and "privateIPAddress" in old:
            cprops.setdefault("privateIPAddress", old["privateIPAddress"])


class CombinedSource(Source):
    """The estate's rows with the template's rows replacing those of the same id."""

    def __init__(self, template: TemplateSource, estate: Source) -> None:
        self.template = template
        self.estate = estate

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        """Read the estate, expand the templates, and merge them."""
        base = self.estate.collect(needs, progress)
        predicted = self.template.collect(needs, progress)
        by_id = {ids.norm(r.get("id")): r for r in base.rows}
        known = _runtime_principals(base.rows)
        replaced = 0
        rows = []
        template_ids = set()
        for row in predicted.rows:
            key = ids.norm(row["id"])
            template_ids.add(key)
            old = by_id.get(key)
            if old is not None:
                replaced += 1
                _keep_runtime(row, old)
            rows.append(_resolve(row, known))
        merged = [r for r in base.rows if ids.norm(r.get("id")) not in template_ids] + rows
        header = {**predicted.info.header, "estate": base.info.header}
        declared = predicted.info.header.get(peerings.PEERINGS)
        if isinstance(declared, dict) and declared:
            # a remote leg may be in the estate; a child peering's VNet may be too
            merged, header[peerings.PEERINGS] = peerings.prepare(merged, list(declared))
        header.pop(firewallips.FIREWALL_ADDRESSES, None)
        addresses = firewallips.candidates(merged, template_ids)  # the estate may say it
        if addresses:
            header[firewallips.FIREWALL_ADDRESSES] = addresses
        info = SourceInfo(
            kind="template+" + base.info.kind,
            description=f"{predicted.info.description} over {base.info.description}",
            gaps=list(base.info.gaps),
            stats={**predicted.info.stats, "estate_rows": len(base.rows), "replaced": replaced},
            header=header,
        )
        return Collected(merged, info)
