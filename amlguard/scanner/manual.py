"""Manual commands with the values amlguard knows filled in.

A rule's ``remediation.manual`` is a template. Besides the finding's own fields (``{name}``,
``{resourceGroup}``, ``{solutionSubnetId}`` ...) it may use:

- ``{principalId}``, ``{solutionVnetId}``, ``{workspaceId}``: from the instance;
- ``{parameters[NAME]}`` (and ``[0]`` for a list): the rule's effective parameters; the format
  spec ``:snake`` turns ``AllowInternetOutbound`` into ``allow_internet_outbound`` and ``:lower``
  turns ``True`` into ``true``;
- ``{offender}``, ``{offenderName}``, ``{offenderResourceGroup}``, ``{offenderSubscriptionId}``,
  ``{offenderScope}`` (its resource group scope), ``{offenderGroupId}`` (its private link group id),
  ``{offenderRuleName}`` (the outbound rule name amlguard would give it), ``{offenderIpConfig}``
  (the NIC ip configuration holding a public IP): a template using any of these is rendered once
  per offender the finding lists (identical lines once).

Every substituted value is shell-quoted when it needs to be (names are data amlguard did not
write). A value amlguard cannot know stays a ``<placeholder>``, and a ``# <placeholder>: ...``
line after the command says what it is and where to find it.
"""

from __future__ import annotations

import re
import shlex
import string
from _string import formatter_field_name_split
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.idparts import parsed
from amlguard.scanner.zonechoice import zone_choice
from amlguard.textsafe import bounded, visible

ML_EXTENSION = "az ml"
ML_EXTENSION_NOTE = (
    "# 'az ml' commands need the Azure CLI machine learning extension: az extension add --name ml"
)

#: what each placeholder stands for and where to find it
HINTS = {
    "<principal-id>": "the object id of the workspace's primary user-assigned identity "
    "(az identity show --ids <identity-resource-id> --query principalId)",
    "<identity-resource-id>": "the id of the user-assigned identity the workspace should use "
    "(az identity list --query [].id)",
    "<solution-vnet-id>": "the VNet holding the instance's private endpoints; amlguard found "
    "none: set solution_subnet in amlguard.yaml",
    "<solution-vnet-resource-group>": "the resource group of the VNet for the instance's private "
    "endpoints; amlguard found none: set solution_subnet in amlguard.yaml",
    "<solution-vnet-subscription-id>": "the subscription of the VNet for the instance's private "
    "endpoints; amlguard found none: set solution_subnet in amlguard.yaml",
    "<solution-subnet-id>": "the subnet for the instance's private endpoints; amlguard found "
    "none: set solution_subnet in amlguard.yaml",
    "<ip-config-name>": "the NIC's ip configuration with the public IP "
    "(az network nic show --ids <nic-id> --query ipConfigurations[].name)",
    "<registry-id>": "the id of the Premium container registry to link (az acr list --query [].id)",
    "<compute-name>": "the compute cluster to build images on; set the rule parameter "
    "compute_name (or image_build_compute in amlguard.yaml)",
    "<resource-id>": "the id of the resource the finding names",
    "<resource-name>": "the name of the resource the finding names",
    "<resource-group>": "the resource group of the resource the finding names",
    "<resource-group-scope>": "/subscriptions/<id>/resourceGroups/<name> of the resource the "
    "finding names",
    "<rule-name>": "a name for the outbound rule (3-33 letters, digits, _ or -)",
    "<private-dns-zone-id>": "the private DNS zone this endpoint needs does not exist in the "
    "scan: create and link it first (az network private-dns zone create, az network "
    "private-dns link vnet create)",
    "<value>": "a value the rule's parameters leave empty",
    "<group-id>": "the private link group id of the resource "
    "(az network private-link-resource list --id <resource-id> --query [].properties.groupId)",
}

_OFFENDER_FIELD = re.compile(r"\{offender[A-Za-z]*\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9-]*>")


def _snake(value: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).lower()


@lru_cache(maxsize=4096)
def _quote(value: str) -> str:
    # Memoised: a scan's failing findings quote the same subscription, resource group and
    # workspace names over and over (a regex pass and shlex.quote each time otherwise).
    value = _CONTROL.sub("?", value)
    if value in HINTS:  # a placeholder amlguard wrote (a hostile name is quoted like any other)
        return value
    return shlex.quote(value) if value else "''"


class _Formatter(string.Formatter):
    """``str.format`` whose unknown fields stay as they are and whose values are quoted."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        try:
            value, first = super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, AttributeError, TypeError, ValueError):
            return _Literal("{" + field_name + "}"), field_name
        return value, first

    def format_field(self, value: Any, format_spec: str) -> str:
        return _format_value(value, format_spec)


#: (text, format spec) -> what :func:`_format_value` makes of a plain string: failing findings
#: quote the same subscriptions, groups, names and parameters over and over. Bounded.
_FORMATTED: dict[tuple[str, str], str] = {}
_FORMATTED_MAX = 1 << 14


def _format_value(value: Any, format_spec: str) -> str:
    """One substituted value: quoted, with the ``snake``/``tail``/``lower`` specs applied."""
    if type(value) is str:  # a plain string: remembered (a pure function of text and spec)
        key = (value, format_spec)
        found = _FORMATTED.get(key)
        if found is None:
            found = _format_any(value, format_spec)
            if len(_FORMATTED) >= _FORMATTED_MAX:
                _FORMATTED.clear()
            _FORMATTED[key] = found
        return found
    return _format_any(value, format_spec)


def _format_any(value: Any, format_spec: str) -> str:
    """:func:`_format_value` worked out."""
    if isinstance(value, _Literal):
        return str(value)
    if value is None or value == "":
        return "<value>"
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if format_spec == "snake":
        text = _snake(text)
    elif format_spec == "tail":
        text = text.rstrip("/").rsplit("/", 1)[-1]
    elif format_spec == "lower":
        text = text.lower()
    # Data with a line break or a control character stays one visible, quoted word.
    return _quote(bounded(visible(text)))


class _Literal(str):
    """A field left as written (``{unknown}``)."""


#: one replacement field of a compiled template: (text before it, field name, name's first
#: part, the rest as (is attribute, key) steps, format spec); the name is None after the last
_Part = tuple[str, str | None, str, tuple[tuple[bool, Any], ...], str]
_LOOKUP_ERRORS = (KeyError, IndexError, AttributeError, TypeError, ValueError)


@lru_cache(maxsize=512)
def _compiled(template: str) -> tuple[_Part, ...] | None:
    """``template`` parsed once for :func:`_fill`; None when it needs the general formatter
    (a conversion, a nested or braced spec, positional fields, a malformed template)."""
    parts: list[_Part] = []
    try:
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            if name is None:
                parts.append((literal, None, "", (), ""))
                continue
            spec = spec or ""
            if conversion is not None or "{" in spec or "}" in spec:
                return None
            first, rest = formatter_field_name_split(name)
            if not isinstance(first, str) or not first:
                return None
            parts.append((literal, name, first, tuple(rest), spec))
    except ValueError:
        return None
    return tuple(parts)


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """``_Formatter().vformat(template, (), values)``, without re-parsing the template (and its
    empty format specs) for every finding: what it gives is the same text."""
    parts = _compiled(template)
    if parts is None:
        return _FORMATTER.vformat(template, (), values)
    out: list[str] = []
    for literal, name, first, rest, spec in parts:
        if literal:
            out.append(literal)
        if name is None:
            continue
        try:  # string.Formatter.get_field, with _Formatter's "unknown stays as written"
            obj = values[first]
            for is_attr, key in rest:
                obj = getattr(obj, key) if is_attr else obj[key]
        except _LOOKUP_ERRORS:
            obj = _Literal("{" + name + "}")
        out.append(_format_value(obj, spec))
    return "".join(out)


class _Zones:
    """``{zones[GROUP][i]}``: the ids of the private DNS zones an endpoint of the finding's
    resource needs for GROUP (one linked to the solution VNet first); a placeholder when the
    zone does not exist in the scan."""

    def __init__(
        self,
        target: Mapping[str, Any],
        instance: Any,
        inventory: Any,
        private_link: Any,
        cloud: str,
    ) -> None:
        self.target = target
        self.instance = instance
        self.inventory = inventory
        self.private_link = private_link
        self.cloud = cloud
        # group -> its zones: a template names each group twice ({zones[g][0]:tail} and
        # {zones[g][0]}), and the answer depends on the group alone within one finding
        self.seen: dict[Any, list[str]] = {}

    def __getitem__(self, group: str) -> list[str]:
        found = self.seen.get(group)
        if found is None:
            found = self.seen[group] = self._zones(group)
        return list(found)

    def _zones(self, group: str) -> list[str]:
        if self.private_link is None or self.inventory is None:
            return ["<private-dns-zone-id>"] * 2
        rid = str(self.target.get("id") or "")
        row = self.inventory.get(rid) or {}
        rtype = str(self.target.get("type") or ids.parse(rid).type)
        names = self.private_link.zones(rtype, row.get("kind"), group, self.cloud)
        vnet = ids.norm(getattr(self.instance, "solution_vnet", None))
        first, linked = zone_choice(self.inventory)
        out = []
        for zone in names:
            # The zone of that name linked to the instance's VNet, else the first of that name.
            key = zone.lower()
            out.append(linked.get((key, vnet)) or first.get(key) or "<private-dns-zone-id>")
        return out or ["<private-dns-zone-id>"] * 2


_FORMATTER = _Formatter()


def offender_fields(
    offender: str, inventory: Any | None, private_link: Any | None, cloud: str = "AzureCloud"
) -> dict[str, Any]:
    """The per-offender fields of one resource id."""
    parts = ids.parse(offender)
    row = inventory.get(offender) if inventory is not None else None
    group = "<group-id>"
    if private_link is not None:
        found = private_link.group_ids(parts.type, (row or {}).get("kind"))
        if found:
            group = found[0]
    ipconfig = "<ip-config-name>"
    for cfg in ((row or {}).get("properties") or {}).get("ipConfigurations") or []:
        if isinstance(cfg, dict) and (cfg.get("properties") or {}).get("publicIPAddress"):
            ipconfig = str(cfg.get("name") or ipconfig)
            break
    rule_name = re.sub(r"[^a-zA-Z0-9_-]", "-", "pe-" + parts.name)[:33]
    return {
        "offender": offender,
        "offenderName": parts.name,
        "offenderResourceGroup": parts.resource_group,
        "offenderSubscriptionId": parts.subscription_id,
        "offenderScope": ids.resource_group_scope(offender) or offender,
        "offenderGroupId": group,
        "offenderRuleName": rule_name,
        "offenderIpConfig": ipconfig,
    }


#: the offender fields of a finding that names no resource (or a template that uses none)
_NO_OFFENDER = {
    "offender": "<resource-id>",
    "offenderName": "<resource-name>",
    "offenderResourceGroup": "<resource-group>",
    "offenderSubscriptionId": "<subscription-id>",
    "offenderScope": "<resource-group-scope>",
    "offenderGroupId": "<group-id>",
    "offenderRuleName": "<rule-name>",
    "offenderIpConfig": "<ip-config-name>",
}


@lru_cache(maxsize=512)
def _per_offender(template: str) -> bool:
    """Whether a template names an ``{offender...}`` field (rendered once per offender)."""
    return _OFFENDER_FIELD.search(template) is not None


def render_manual(
    template: str,
    fields: Mapping[str, Any],
    instance: Any,
    offenders: Iterable[Any],
    parameters: Mapping[str, Any],
    inventory: Any | None = None,
    private_link: Any | None = None,
    cloud: str = "AzureCloud",
) -> str:
    """The command(s) of ``template`` for one finding, then a ``#`` line per placeholder left."""
    values: dict[str, Any] = dict(fields)
    values["principalId"] = getattr(instance, "principal_id", None) or "<principal-id>"
    vnet = getattr(instance, "solution_vnet", None)
    values["solutionVnetId"] = vnet or "<solution-vnet-id>"
    values["solutionVnetResourceGroup"] = (
        parsed(vnet).resource_group if vnet else "<solution-vnet-resource-group>"
    )
    values["solutionVnetSubscriptionId"] = (
        parsed(vnet).subscription_id if vnet else "<solution-vnet-subscription-id>"
    )
    values["zones"] = _Zones(fields, instance, inventory, private_link, cloud)
    values["parameters"] = {
        k: (v if v not in (None, "", []) else f"<{k.replace('_', '-')}>")
        for k, v in parameters.items()
    }
    lines: list[str] = []
    # Only resource ids fill {offender...}: a described item (a Failed outbound rule) is no target.
    offenders = [
        o for o in offenders if isinstance(o, str) and o.lower().startswith("/subscriptions/")
    ]
    if offenders and _per_offender(template):
        for offender in offenders:
            extra = offender_fields(offender, inventory, private_link)
            line = _fill(template, {**values, **extra})
            if line not in lines:
                lines.append(line)
    else:
        lines.append(_fill(template, {**_NO_OFFENDER, **values}))
    text = "\n".join(lines)
    if "<" not in text:  # no placeholder left (most commands): no regex pass, no notes
        return text
    notes = []
    for placeholder in sorted(set(_PLACEHOLDER.findall(text))):
        hint = HINTS.get(placeholder, "a value amlguard cannot know")
        notes.append(f"# {placeholder}: {hint}")
    return "\n".join(lines + notes)


def needs_ml_extension(commands: list[str]) -> str | None:
    """The one-line note to print once when any command is an ``az ml`` command."""
    if any(c.lstrip().startswith(ML_EXTENSION + " ") for c in commands):
        return ML_EXTENSION_NOTE
    return None


def describe_template(template: str, parameters: Mapping[str, Any]) -> str:
    """A rule-level view of a manual template (SARIF rule help, docs): the rule's parameters
    filled in, every per-finding field shown as ``<field>``."""

    class _Generic(_Formatter):
        def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
            if field_name.startswith("parameters"):
                return super().get_field(field_name, args, kwargs)
            return _Literal("<" + _snake(field_name).replace("_", "-") + ">"), field_name

    return _Generic().vformat(template, (), {"parameters": dict(parameters)})
