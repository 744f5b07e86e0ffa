"""Integration discovery: which resources an instance integrates (blueprint section 2, real-estates
4.1 E2).

Four sources, in this order: the destinations of the user's PrivateEndpoint outbound rules, the
service-created ``Dependency`` PrivateEndpoint rules (made for connections), the targets of the
workspace connections (``.../workspaces/{ws}/connections`` rows), and the integration selector
(types, kinds and tags in the workspaces' resource groups or subscriptions, or explicit ids).
For a hub, the rules are the hub's and the connections and resource groups are the hub's and its
projects'. With ``integration_selector.mode: suggest`` a resource only the selector picks is a
suggestion, not an integration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory, Row, resource_group_key
from amlguard.scanner.paths import MISSING, get_key

CONNECTION = "microsoft.machinelearningservices/workspaces/connections"
_USER_EXCLUDED = {"required", "recommended", "dependency"}
SELECTOR_MODES = ("require", "suggest")


def strings(value: Any) -> tuple[str, ...]:
    """A list of strings from config; a lone string is one item (``kinds: OpenAI`` must not
    become the kinds O, p, e, n, A, I and silently match nothing)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def at(obj: Any, *names: str) -> Any:
    """``obj[n1][n2]...`` with property names matched case-insensitively, as rules match
    them (an instance must not lose a link that a rule's condition sees); None when absent."""
    # paths.resolve(obj, names) with get_key's exact-spelling lookup inlined (the build reads
    # a few dozen links per workspace); any other step goes through get_key itself.
    for name in names:
        if type(obj) is dict:
            value = obj.get(name, MISSING)
            obj = get_key(obj, name) if value is MISSING else value
        else:
            obj = get_key(obj, name)
        if obj is None or obj is MISSING:
            return None
    return obj


@dataclass(frozen=True, slots=True)
class IntegrationSelector:
    """Which resources count as integrated besides the outbound-rule destinations."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ("microsoft.cognitiveservices/accounts",)
    kinds: tuple[str, ...] = ("OpenAI", "AIServices")
    tags: tuple[tuple[str, str], ...] = ()
    scope: str = "resource_group"  # or "subscription"
    #: ``require``: a picked resource is integrated; ``suggest``: only a suggestion
    mode: str = "require"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> IntegrationSelector:
        """Build from the pack/config parameter ``integration_selector``."""
        if not raw:
            return cls()
        default = cls()
        tags = raw.get("tags") or {}
        mode = str(raw.get("mode", default.mode)).lower()
        if mode not in SELECTOR_MODES:
            raise ValueError(
                f"integration_selector.mode {mode!r} is not one of {', '.join(SELECTOR_MODES)}"
            )
        return cls(
            ids=strings(raw.get("ids", [])),
            types=tuple(t.lower() for t in strings(raw.get("types", default.types))),
            kinds=strings(raw.get("kinds", default.kinds)),
            tags=tuple((str(k), str(v)) for k, v in tags.items()),
            scope=str(raw.get("scope", default.scope)),
            mode=mode,
        )

    def picks(self, row: Row) -> bool:
        """Whether a row in scope matches the selector's types, kinds and tags."""
        if self.types and row["type"] not in self.types:
            return False
        kinds = _lowered(tuple(self.kinds))
        if kinds and str(row.get("kind") or "").strip().lower() not in kinds:
            return False
        if not self.tags:  # every tag wanted is there
            return True
        tags = row.get("tags")
        row_tags = {
            str(k).lower(): str(v).lower()
            for k, v in (tags if isinstance(tags, dict) else {}).items()
        }
        return all(row_tags.get(k.lower()) == v.lower() for k, v in self.tags)


@lru_cache(maxsize=64)
def _lowered(kinds: tuple[str, ...]) -> frozenset[str]:
    """The selector's kinds lower-cased (asked for every row in a selector's scope)."""
    return frozenset(k.lower() for k in kinds)


def _id_text(value: Any) -> str:
    """An id as text; one unknown before deployment (templates) stays an Unknown, so the rules
    that judge the resource it names say so instead of judging its text as an id."""
    return value if isinstance(value, str) else str(value)


def _field(obj: Any, name: str) -> Any:
    """``at(obj, name)``: the exact spelling of a plain dict's member read first."""
    value = obj.get(name) if type(obj) is dict else None
    return at(obj, name) if value is None else value


def _lower_text(value: Any) -> str:
    """``str(value or "").lower()``."""
    return value.lower() if type(value) is str else str(value or "").lower()


def _pe_rules(workspace: Row) -> list[Any]:
    rules = at(workspace, "properties", "managedNetwork", "outboundRules") or {}
    return [
        r
        for r in (rules.values() if isinstance(rules, dict) else [])
        if _lower_text(_field(r, "type")) == "privateendpoint"
    ]


def user_outbound_destinations(workspace: Row) -> list[str]:
    """Destinations of the user's PrivateEndpoint outbound rules (service rules excluded)."""
    return _destinations(workspace)[0]


def dependency_destinations(workspace: Row) -> list[str]:
    """Destinations of the ``Dependency`` PrivateEndpoint rules the service made for connections."""
    return _destinations(workspace)[1]


def _destinations(workspace: Row) -> tuple[list[str], list[str]]:
    """(the user's, the ``Dependency`` ones): destinations of the PrivateEndpoint outbound
    rules, each list in rule order, from one reading of the rules."""
    user: list[str] = []
    dependency: list[str] = []
    for rule in _pe_rules(workspace):
        category = _lower_text(_field(rule, "category"))
        if category == "dependency":
            out = dependency
        elif category in _USER_EXCLUDED:
            continue
        else:
            out = user
        dest = _field(_field(rule, "destination"), "serviceResourceId")
        if dest:
            out.append(_id_text(dest))
    return user, dependency


def connections_by_workspace(inv: Inventory) -> dict[str, list[Row]]:
    """Connection rows by their workspace's id (lower-cased), built once per inventory."""
    memo = inv.memo.setdefault("connectionsByWorkspace", {})
    if not memo:
        memo[""] = []  # built (an empty inventory asks once, too)
        for conn in inv.of_type(CONNECTION):
            parent = ids.parent_of_child(str(conn["id"]), "connections")
            if parent:
                memo.setdefault(ids.norm(parent), []).append(conn)
    return memo


def connection_target(conn: Row) -> str | None:
    """The ARM id a connection points at: ``metadata.ResourceId``, else ``target`` when it is
    an ARM id (most targets are endpoint URLs, which name no resource)."""
    for value in (
        at(conn, "properties", "metadata", "ResourceId"),
        at(conn, "properties", "target"),
    ):
        if isinstance(value, str) and value.strip().lower().startswith("/subscriptions/"):
            return value.strip()
    return None


def connection_targets(inv: Inventory, workspace_ids: Iterable[str]) -> list[str]:
    """The ARM ids the connections of these workspaces point at, in connection-id order."""
    index = connections_by_workspace(inv)
    out = []
    for ws_id in workspace_ids:
        for conn in sorted(index.get(ids.norm(ws_id), []), key=lambda c: ids.norm(c["id"])):
            target = connection_target(conn)
            if target:
                out.append(target)
    return out


def _selector_scopes(selector: IntegrationSelector, workspace_ids: list[str]) -> list[str]:
    """The keys (``ids.norm``) of the scopes the selector looks in, each once, in order."""
    keys: dict[str, None] = {}
    if selector.scope == "subscription":
        for ws_id in workspace_ids:
            keys.setdefault(ids.norm(ids.subscription_scope(ws_id)))
    else:
        for ws_id in workspace_ids:
            keys.setdefault(resource_group_key(ws_id))
    return list(keys)


def discover(
    inv: Inventory, workspace: Row, projects: list[Row], selector: IntegrationSelector
) -> tuple[list[str], list[str]]:
    """(integrated ids, suggested ids) of a workspace and its projects, each list in discovery
    order with duplicates, the workspace and its projects left out (associated ones too:
    the caller removes them)."""
    members = [str(workspace["id"]), *(str(p["id"]) for p in projects)]
    found: list[str] = []
    for ws in (workspace, *projects):
        user, dependency = _destinations(ws)
        found += user + dependency
    found += connection_targets(inv, members)
    picked: list[str] = []
    if selector.ids:
        found += list(selector.ids)  # named by the user: integrated in either mode
    else:
        for key in _selector_scopes(selector, members):
            picked += [r["id"] for r in inv.in_scope_key(key, selector.types) if selector.picks(r)]
    if selector.mode == "suggest":
        return found, picked
    return found + picked, []
