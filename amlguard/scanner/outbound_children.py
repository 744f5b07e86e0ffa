"""Outbound rules declared as child resources, folded into their workspace (redteam5 defect 4).

A managed network's outbound rules can be written two ways: inline, in the workspace's
``properties.managedNetwork.outboundRules`` map, or as separate
``Microsoft.MachineLearningServices/workspaces/outboundRules`` resources (a template's child
resources, or such rows in a snapshot). Both are the same collection in Azure: a GET of the
workspace lists every rule, however it was written. Every rule (AMLG-104, 110, 111, ...) reads
the map, so before a scan judges anything, each child rule is written into its parent's map:

- the parent is found by id, case-insensitively (``.../workspaces/WS/outboundRules/NAME``);
- the rule's name is the child's last id segment and its body is the child's ``properties``;
- a child and an inline rule with the same name (compared case-insensitively, as ARM names
  are) are one rule written twice: the child is the later write (it is deployed after its
  parent) and wins;
- a parent whose ``properties``, ``managedNetwork`` or rule map is not an object (unknown
  before deployment, or malformed) is left as it is: the strict readers of
  :mod:`amlguard.scanner.shapes` make its findings ``error``;
- a child whose parent is not in the rows stays a row of its own (nothing to fold into).

Rows are never changed in place: a parent with children is copied along the path written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.inventory import WORKSPACE, Inventory, Row

OUTBOUND_RULE = "microsoft.machinelearningservices/workspaces/outboundrules"

__all__ = ["OUTBOUND_RULE", "fold", "folded_inventory"]


def folded_inventory(inventory: Inventory) -> Inventory:
    """``inventory`` itself when it holds no child outbound rule; else an inventory of its
    rows with every child rule folded into its workspace."""
    if not inventory.of_type(OUTBOUND_RULE):
        return inventory
    return Inventory(fold(inventory))


def fold(rows: Iterable[Row]) -> list[Row]:
    """``rows`` with each child outbound rule written into its parent workspace's rule map."""
    rows = list(rows)
    children: dict[str, list[Row]] = {}
    for row in rows:
        if str(row.get("type") or "").lower() == OUTBOUND_RULE:
            parent = ids.parent_of_child(str(row.get("id") or ""), "outboundRules")
            if parent:
                children.setdefault(ids.norm(parent), []).append(row)
    if not children:
        return rows
    out = []
    for row in rows:
        mine = children.get(ids.norm(row.get("id")))
        is_workspace = str(row.get("type") or "").lower() == WORKSPACE
        out.append(_with_rules(row, mine) if mine and is_workspace else row)
    return out


def _key(mapping: dict[str, Any], name: str) -> str | None:
    """The key of ``mapping`` equal to ``name`` case-insensitively, else None."""
    if name in mapping:
        return name
    low = name.lower()
    return next((k for k in mapping if isinstance(k, str) and k.lower() == low), None)


def _with_rules(workspace: Row, children: list[Row]) -> Row:
    props = workspace.get("properties")
    if props is None:
        props = {}
    if type(props) is not dict:
        return workspace  # unknown or malformed: the strict readers say so
    net_key = _key(props, "managedNetwork") or "managedNetwork"
    net = props.get(net_key)
    if net is None:
        net = {}
    if type(net) is not dict:
        return workspace
    rules_key = _key(net, "outboundRules") or "outboundRules"
    rules = net.get(rules_key)
    if rules is None:
        rules = {}
    if type(rules) is not dict:
        return workspace
    merged = dict(rules)
    for child in children:
        name = ids.short_name(str(child["id"]))
        same = _key(merged, name)
        if same is not None:
            del merged[same]  # the child is the later write of the same rule
        merged[name] = child.get("properties")
    return {
        **workspace,
        "properties": {**props, net_key: {**net, rules_key: merged}},
    }
