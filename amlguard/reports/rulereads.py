"""What a rule reads, derived from its ``target``, ``where`` and ``condition`` (data, not code).

The documentation pages list the exact properties of the judged resource a rule reads, the
related data it counts (with the item attributes it uses), the instance facts and parameters
it reads, and any computed value, all taken from the rule's YAML as written.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

_FIELD_CALL = re.compile(r"\bfield\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
_PARAM_CALL = re.compile(r"\bparameters\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
_INSTANCE = re.compile(r"\binstance\(\s*\)\.([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_CURRENT = re.compile(
    r"\bcurrent\(\s*(?:'((?:[^']|'')*)')?\s*\)\.([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE
)
_SIMPLE = re.compile(
    r"^\[\s*(?:field\('[^']*'\)|parameters\('[^']*'\)|instance\(\)\.\w+|current\((?:'[^']*')?\)\.\w+)\s*\]$",
    re.IGNORECASE,
)

#: What each target selector judges (the selectors of the rule language; data, not rule ids).
SELECTOR_TEXT = {
    "workspace": "the workspace (`Microsoft.MachineLearningServices/workspaces`)",
    "associated": "the workspace's associated resources",
    "integrated": (
        "the instance's integrated resources (destinations of the workspace's PrivateEndpoint "
        "outbound rules, plus what the integration selector picks)"
    ),
    "associatedandintegrated": "the workspace's associated and integrated resources",
    "solutionvnet": "the solution VNet (the VNet of the instance's private endpoints)",
    "instancednszones": (
        "the private DNS zones used by the private endpoints of the workspace and its resources"
    ),
    "projects": "the project workspaces of a hub (kind `Project`)",
    "customvnetworkspace": "the workspace, when it is judged as a customer-VNet workspace",
    "computes": "the AmlCompute clusters and compute instances of a customer-VNet workspace",
}
_ROLE_TEXT = {
    "storageaccount": "storage account",
    "keyvault": "key vault",
    "containerregistry": "container registry",
    "applicationinsights": "Application Insights",
}


@dataclass
class Reads:
    """The data a rule reads, each list in the order the rule first mentions it."""

    fields: list[str] = field(default_factory=list)
    related: dict[str, list[str]] = field(default_factory=dict)
    instance: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


def _expression(text: str, reads: Reads, aliases: dict[str, str]) -> None:
    for path in _FIELD_CALL.findall(text):
        _add(reads.fields, path.replace("''", "'"))
    for name in _PARAM_CALL.findall(text):
        _add(reads.parameters, name.replace("''", "'"))
    for attr in _INSTANCE.findall(text):
        _add(reads.instance, attr)
    for alias, attr in _CURRENT.findall(text):
        source = aliases.get(alias)
        if source is not None:
            _add(reads.related.setdefault(source, []), attr)
    if not _SIMPLE.match(text.strip()):
        _add(reads.computed, text.strip())


def _walk(node: Any, reads: Reads, aliases: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "count" and isinstance(value, dict):
                _count(value, reads, aliases)
            elif key == "field" and isinstance(value, str):
                _add(reads.fields, value)
            else:
                _walk(value, reads, aliases)
    elif isinstance(node, list):
        for item in node:
            _walk(item, reads, aliases)
    elif isinstance(node, str) and node.startswith("[") and not node.startswith("[["):
        _expression(node, reads, aliases)


def _count(count: dict[str, Any], reads: Reads, aliases: dict[str, str]) -> None:
    inner = dict(aliases)
    if isinstance(count.get("related"), str):
        source = count["related"]
        reads.related.setdefault(source, [])
        inner[""] = source
        if count.get("name"):
            inner[str(count["name"])] = source
    elif isinstance(count.get("field"), str):
        _add(reads.fields, count["field"])
    else:
        _walk(count.get("value"), reads, aliases)
    _walk(count.get("with"), reads, aliases)
    _walk(count.get("where"), reads, inner)


def reads_of(rule: Any) -> Reads:
    """What ``rule`` reads: its ``where`` first, then its ``condition``."""
    reads = Reads()
    raw = getattr(rule, "raw", None) or {}
    for key in ("where", "condition"):
        _walk(raw.get(key), reads, {})
    return reads


def target_text(target: dict[str, Any]) -> str:
    """The judged resources of a rule's target, in words."""
    select = str(target.get("select", ""))
    text = SELECTOR_TEXT.get(select.lower()) or _selector_doc(select) or f"`{select}`"
    roles = [_ROLE_TEXT.get(str(r).lower(), str(r)) for r in target.get("roles") or ()]
    types = [f"`{t}`" for t in target.get("types") or ()]
    if roles:
        text += ": only the " + ", ".join(roles)
    if types:
        text += (", " if roles else ": ") + "of type " + ", ".join(types)
    if target.get("missing") == "judge":
        text += " (judged even when the resource is outside the scan)"
    elif target.get("missing") == "error":
        text += " (a linked resource outside the scan is an error)"
    return text


def _selector_doc(name: str) -> str:
    """A selector's own documentation (first paragraph), read as a phrase: "every compute..."."""
    from amlguard.scanner.targets import SELECTORS

    impl = SELECTORS.get(name) if name else None
    doc = (inspect.getdoc(impl) or "") if impl is not None else ""
    first = " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "`").rstrip(".")
    return first[:1].lower() + first[1:] if first[:2] != first[:2].upper() else first


def related_text(name: str) -> str:
    """The first paragraph of a related source's documentation, as Markdown."""
    from amlguard.scanner.conditions import RELATED

    impl = RELATED.get(name)
    doc = (inspect.getdoc(impl) or "") if impl is not None else ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    return first.replace("``", "`")
