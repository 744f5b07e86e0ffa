"""The data-driven table of private-endpoint group ids and DNS zones (policies/private_link.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: where a resource lists its private endpoint connections, and their state key
DEFAULT_CONNECTIONS = ("privateEndpointConnections", "privateLinkServiceConnectionState")


@dataclass(frozen=True, slots=True)
class _Entry:
    type: str
    kinds: frozenset[str]
    groups: dict[str, dict[str, tuple[str, ...]]]  # groupId (lower) -> cloud -> zones
    connections: tuple[str, str] = DEFAULT_CONNECTIONS  # (list key, state key)


class PrivateLinkTable:
    """Which group ids a resource type offers, and which private DNS zones each needs."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._entries: list[_Entry] = []
        self._group_names: dict[str, str] = {}
        for raw in data.get("targets", []):
            groups: dict[str, dict[str, tuple[str, ...]]] = {}
            for group, clouds in (raw.get("groups") or {}).items():
                self._group_names[group.lower()] = group
                groups[group.lower()] = {c.lower(): tuple(z) for c, z in clouds.items()}
            kinds = frozenset(k.lower() for k in raw.get("kinds", []))
            conns = raw.get("connections") or {}
            paths = (
                str(conns.get("list") or DEFAULT_CONNECTIONS[0]),
                str(conns.get("state") or DEFAULT_CONNECTIONS[1]),
            )
            self._entries.append(_Entry(raw["type"].lower(), kinds, groups, paths))
        # (type, kind) as asked -> entry: a scan asks about the same few types thousands of times
        self._found: dict[tuple[str, str | None], _Entry | None] = {}
        # id(entry) -> its group ids in the table's spelling (the entries live as long as this)
        self._names: dict[int, tuple[str, ...]] = {}
        self._connections: dict[str, tuple[str, str]] = {}  # type as asked -> connection_keys

    def _entry(self, rtype: str, kind: str | None) -> _Entry | None:
        key = (rtype, kind)
        try:
            return self._found[key]
        except KeyError:
            pass
        rtype_l, kind_l = rtype.lower(), str(kind or "").strip().lower()
        found = None
        for entry in self._entries:
            if entry.type == rtype_l and (not entry.kinds or kind_l in entry.kinds):
                found = entry
                break
        self._found[key] = found
        return found

    def connection_keys(self, rtype: str) -> tuple[str, str]:
        """(list key, state key) of the private endpoint connections of a type's rows."""
        found = self._connections.get(rtype)  # asked once per resource judged: kept by type
        if found is None:
            entry = self._entry(rtype, None) or next(
                (e for e in self._entries if e.type == rtype.lower()), None
            )
            found = self._connections[rtype] = entry.connections if entry else DEFAULT_CONNECTIONS
        return found

    def group_ids(self, rtype: str, kind: str | None = None) -> list[str] | None:
        """The group ids a target type offers, in the table's spelling; None if unknown."""
        entry = self._entry(rtype, kind)
        if entry is None:
            return None
        names = self._names.get(id(entry))
        if names is None:  # once per entry: a scan asks for every endpoint's target
            names = self._names[id(entry)] = tuple(self._group_names[g] for g in entry.groups)
        return list(names)

    def zones(self, rtype: str, kind: str | None, group_id: str, cloud: str) -> list[str]:
        """The private DNS zone names an endpoint for ``group_id`` needs; [] if unknown."""
        entry = self._entry(rtype, kind)
        if entry is None:
            return []
        clouds = entry.groups.get(group_id.lower(), {})
        return list(clouds.get(cloud.lower(), ()))


@lru_cache(maxsize=1)
def default_table() -> PrivateLinkTable:
    """The table shipped in the package (parsed once, then from the warm parse cache)."""
    from amlguard.scanner import parsecache
    from amlguard.scanner.yamlsource import load_yaml_file

    path = parsecache.package_file("policies/private_link.yaml")
    return PrivateLinkTable(load_yaml_file(path, "amlguard/policies/private_link.yaml"))
