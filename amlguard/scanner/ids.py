"""Azure resource ids: parsing and case-insensitive comparison (ids are case-insensitive)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlguard.scanner.valuetypes import is_resource_id

#: id text -> its comparison key, for every plain ``str`` :func:`norm` was asked about: a scan
#: asks about the same few ids again and again (~9 times each at N = 1,000), and a lookup of a
#: string whose hash is cached costs a tenth of ``strip().rstrip("/").lower()`` of an ARM id.
#: Bounded (cleared when full; ids longer than ``_KEY_TEXT_MAX`` are not kept), so a
#: long-lived process holds at most ~``_KEYS_MAX`` ids.
_KEYS: dict[str, str] = {}
_KEYS_MAX = 1 << 17
_KEY_TEXT_MAX = 512


def norm(resource_id: str | None) -> str:
    """The comparison key of an id: lower-cased, no trailing slash ('' for a non-string)."""
    if type(resource_id) is str:  # the common case: ids as JSON gives them, remembered
        key = _KEYS.get(resource_id)
        if key is None:
            key = resource_id.strip().rstrip("/").lower()
            if len(resource_id) <= _KEY_TEXT_MAX:
                if len(_KEYS) >= _KEYS_MAX:
                    _KEYS.clear()
                _KEYS[resource_id] = key
        return key
    return norm_text(resource_id)


def norm_text(resource_id: str | None) -> str:
    """:func:`norm` without its memory: for ids asked about once (and ``str`` subclasses)."""
    if not isinstance(resource_id, str) or not resource_id:
        return ""
    return resource_id.strip().rstrip("/").lower()


@dataclass(frozen=True, slots=True)
class ResourceId:
    """The parts of an ARM id that rules and sources need."""

    subscription_id: str
    resource_group: str
    type: str  # lower-cased, e.g. microsoft.network/privateendpoints
    name: str


def _split(resource_id: str) -> tuple[list[str], list[str]]:
    """(segments, lower-cased segments): one ``lower()`` per id, not one per segment."""
    text = resource_id.strip().strip("/")
    return text.split("/"), text.lower().split("/")


def _subscription_and_group(parts: list[str], lowered: list[str]) -> tuple[str, str]:
    sub = rg = ""
    if "subscriptions" in lowered:
        i = lowered.index("subscriptions")
        sub = parts[i + 1] if i + 1 < len(parts) else ""
    if "resourcegroups" in lowered:
        i = lowered.index("resourcegroups")
        rg = parts[i + 1] if i + 1 < len(parts) else ""
    return sub, rg


def parse(resource_id: str) -> ResourceId:
    """Split an ARM id; missing parts are empty strings (never raises)."""
    parts, lowered = _split(resource_id)
    sub, rg = _subscription_and_group(parts, lowered)
    rtype = ""
    name = parts[-1] if parts else ""
    if "providers" in lowered:
        i = len(lowered) - 1 - lowered[::-1].index("providers")
        tail = parts[i + 1 :]
        if tail:
            namespace = tail[0]
            # After the namespace, segments alternate type/name: type is every even segment.
            type_segments = tail[1::2]
            rtype = "/".join([namespace, *type_segments]).lower()
            # A provider namespace may itself sit under an outer resource (extension resources).
    return ResourceId(sub, rg, rtype, name)


def subscription_scope(resource_id: str) -> str:
    """``/subscriptions/{s}`` of an id, in the id's own casing ('' outside a subscription)."""
    sub, _ = _subscription_and_group(*_split(resource_id))
    return f"/subscriptions/{sub}" if sub else ""


def resource_group_scope(resource_id: str) -> str:
    """``/subscriptions/{s}/resourceGroups/{rg}`` of an id, in the id's own casing."""
    # Called for many rows of the inventory: skip parse()'s type and name work.
    sub, rg = _subscription_and_group(*_split(resource_id))
    if not sub or not rg:
        return ""
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def covers(scope: str, resource_id: str) -> bool:
    """True when ``scope`` is ``resource_id`` or one of its ancestors (segment-wise prefix)."""
    s, r = norm(scope), norm(resource_id)
    if s in ("", "/"):
        return scope.strip() == "/"
    return r == s or r.startswith(s + "/")


_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def management_group_of(scope: str) -> str:
    """The management group a scope id names (``/providers/Microsoft.Management/
    managementGroups/{name}``), in its own casing; '' for any other scope."""
    text = scope.strip().rstrip("/")
    if not text.lower().startswith(_MG_PREFIX):
        return ""
    name = text[len(_MG_PREFIX) :]
    return name if name and "/" not in name else ""


#: child marker -> ``/marker/`` lower-cased (the markers are a few constants of the code)
_MARKERS: dict[str, str] = {}


def parent_of_child(resource_id: str, child_marker: str) -> str:
    """For ``<parent>/<child_marker>/<name>`` return ``<parent>`` (case-insensitive marker)."""
    if not isinstance(resource_id, str):
        return ""
    marker = _MARKERS.get(child_marker)
    if marker is None:
        marker = "/" + child_marker.lower() + "/"
        if len(_MARKERS) < 256:
            _MARKERS[child_marker] = marker
    low = norm(resource_id) if type(resource_id) is str else ""
    if len(low) != len(resource_id) or not resource_id.isascii():
        # norm() stripped something (or lower() may change lengths): its key is not the id
        # lower-cased character for character
        low = resource_id.lower()
    i = low.rfind(marker)
    return resource_id[:i] if i >= 0 else ""


def vnet_of_subnet(subnet_id: str) -> str:
    """The virtual network id that holds a subnet id, or '' if it is not a subnet id."""
    return parent_of_child(subnet_id, "subnets")


def short_name(resource_id: str) -> str:
    """The last segment of an ARM id (the resource's name), a trailing slash ignored."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def short_if_id(text: str) -> str:
    """An ARM id cut to its last segment; any other text as it is."""
    return short_name(text) if text.startswith("/") else text


def guid_tail(role_definition_id: str | None) -> str:
    """The trailing GUID of a role definition id (the prefix varies; compare by this)."""
    if not isinstance(role_definition_id, str) or not role_definition_id:
        return ""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def is_arm_id(value: Any) -> bool:
    """:func:`amlguard.scanner.valuetypes.is_resource_id` (a string shaped like an ARM id), a
    few times cheaper for what links usually are (ASCII): read off the id's key."""
    if type(value) is not str or not value.isascii():
        return is_resource_id(value)  # the general reading
    if value[:1] != "/" or value.split() != [value]:  # blanks anywhere: not an id
        return False
    key = norm(value)  # nothing to strip but trailing slashes: the id lower-cased
    if not key or "//" in key:  # an empty segment
        return False
    _head, providers, tail = key.rpartition("/providers/")  # after the last "providers"
    if not providers:
        return False
    # namespace (with a dot), then type/name pairs: at least one of them; the last segment
    # "providers" (the key ends "/providers") is no name
    parts = tail.split("/")
    return len(parts) >= 3 and len(parts) % 2 == 1 and parts[-1] != "providers" and "." in parts[0]
