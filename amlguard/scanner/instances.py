"""Blueprint instances: a workspace, its associated and integrated resources, its solution subnet.

Assembled once per scan (blueprint.md section 2). Resources that belong to no instance are never
judged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.inventory import WORKSPACE, Inventory, Row
from amlguard.scanner.paths import MISSING, resolve
from amlguard.scanner.valuetypes import is_resource_id

ASSOCIATED_ROLES = ("storageAccount", "keyVault", "containerRegistry", "applicationInsights")
_SERVICE_RULE_CATEGORIES = {"required", "recommended", "dependency"}


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings from config; a lone string is one item (``kinds: OpenAI`` must not
    become the kinds O, p, e, n, A, I and silently match nothing)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True, slots=True)
class IntegrationSelector:
    """Which resources count as integrated besides the outbound-rule destinations."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ("microsoft.cognitiveservices/accounts",)
    kinds: tuple[str, ...] = ("OpenAI", "AIServices")
    tags: tuple[tuple[str, str], ...] = ()
    scope: str = "resource_group"  # or "subscription"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> IntegrationSelector:
        """Build from the pack/config parameter ``integration_selector``."""
        if not raw:
            return cls()
        default = cls()
        tags = raw.get("tags") or {}
        return cls(
            ids=_strings(raw.get("ids", [])),
            types=tuple(t.lower() for t in _strings(raw.get("types", default.types))),
            kinds=_strings(raw.get("kinds", default.kinds)),
            tags=tuple((str(k), str(v)) for k, v in tags.items()),
            scope=str(raw.get("scope", default.scope)),
        )

    def picks(self, row: Row) -> bool:
        if self.types and row["type"] not in self.types:
            return False
        kinds = {k.lower() for k in self.kinds}
        if kinds and str(row.get("kind") or "").lower() not in kinds:
            return False
        tags = row.get("tags")
        row_tags = {
            str(k).lower(): str(v).lower()
            for k, v in (tags if isinstance(tags, dict) else {}).items()
        }
        return all(row_tags.get(k.lower()) == v.lower() for k, v in self.tags)


@dataclass(frozen=True, slots=True)
class InstanceSettings:
    """Scan-wide knobs of instance assembly (config or rule-pack parameters)."""

    selector: IntegrationSelector = IntegrationSelector()
    solution_subnet: str | None = None


@dataclass(slots=True)
class Instance:
    """One blueprint instance; ``id`` is the workspace id."""

    id: str
    workspace: Row
    associated: dict[str, str]
    integrated: list[str]
    primary_identity: str | None
    principal_id: str | None
    solution_subnet: str | None
    solution_vnet: str | None
    #: lower-cased ids of the members another instance has too (a shared registry, vault or
    #: AI account): their endpoints elsewhere are the other instances' business
    shared: frozenset[str] = frozenset()
    _view: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return str(self.workspace.get("name") or self.id.rsplit("/", 1)[-1])

    def members(self) -> set[str]:
        """Lower-cased ids of everything this instance owns (the remediation boundary)."""
        return {ids.norm(i) for i in [self.id, *self.associated.values(), *self.integrated]}

    def view(self) -> dict[str, Any]:
        """What ``[instance()]`` returns to a rule."""
        if self._view is None:
            self._view = {
                "id": self.id,
                "name": self.name,
                **self.associated,
                "integrated": list(self.integrated),
                "primaryIdentity": self.primary_identity,
                "principalId": self.principal_id,
                "solutionSubnetId": self.solution_subnet,
                "solutionVnetId": self.solution_vnet,
            }
        return self._view


def _props(row: Row) -> dict[str, Any]:
    p = _at(row, "properties")
    return p if isinstance(p, dict) else {}


def _at(obj: Any, *names: str) -> Any:
    """``obj[n1][n2]...`` with property names matched case-insensitively, as rules match
    them (an instance must not lose a link that a rule's condition sees); None when absent."""
    value = resolve(obj, names)
    return None if value is MISSING else value


def user_outbound_destinations(workspace: Row) -> list[str]:
    """Destinations of the user's PrivateEndpoint outbound rules (service rules excluded)."""
    rules = _at(workspace, "properties", "managedNetwork", "outboundRules") or {}
    out = []
    for rule in rules.values() if isinstance(rules, dict) else []:
        if str(_at(rule, "type") or "").lower() != "privateendpoint":
            continue
        if str(_at(rule, "category") or "").lower() in _SERVICE_RULE_CATEGORIES:
            continue
        dest = _at(rule, "destination", "serviceResourceId")
        if dest:
            out.append(str(dest))
    return out


def _principal(workspace: Row, identity_id: str | None) -> str | None:
    if not identity_id:
        return None
    uais = _at(workspace, "identity", "userAssignedIdentities") or {}
    if not isinstance(uais, dict):
        return None
    wanted = ids.norm(identity_id)
    for key, value in uais.items():
        if ids.norm(key) == wanted and isinstance(value, dict):
            principal = _at(value, "principalId")
            return str(principal) if principal else None
    return None


def _solution_subnet(
    inv: Inventory, ws_id: str, associated: list[str], shared: list[str]
) -> str | None:
    """The workspace's inbound endpoint's subnet; else the subnet most used by the endpoints of
    its own associated resources; else the one subnet all endpoints of its shared ones agree on
    (a shared resource has an endpoint in every sharer's VNet: a split vote decides nothing)."""
    inbound = inv.endpoints_by_target.get(ids.norm(ws_id), [])
    ordered = sorted(
        inbound,
        key=lambda pair: (
            _conn_status(pair[1]) != "approved",
            ids.norm(pair[0]["id"]),
        ),
    )
    for pe, _conn in ordered:
        subnet = _at(pe, "properties", "subnet", "id")
        if isinstance(subnet, str) and subnet:
            return subnet
    votes, spelled = _subnet_votes(inv, associated)
    if not votes:
        votes, spelled = _subnet_votes(inv, shared)
        if len(votes) != 1:
            return None
    best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return spelled[best]


def _subnet_votes(inv: Inventory, targets: list[str]) -> tuple[Counter[str], dict[str, str]]:
    """How many endpoints of ``targets`` sit in each subnet (lower-cased id -> count, spelling)."""
    votes: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for target in targets:
        for pe, _conn in inv.endpoints_by_target.get(ids.norm(target), []):
            subnet = _at(pe, "properties", "subnet", "id")
            if isinstance(subnet, str) and subnet:
                votes[ids.norm(subnet)] += 1
                spelled.setdefault(ids.norm(subnet), str(subnet))
    return votes, spelled


def _conn_status(conn: Row) -> str:
    state = _at(conn, "properties", "privateLinkServiceConnectionState", "status")
    return str(state or "").lower()


def _associated_of(workspace: Row) -> dict[str, str]:
    props = _props(workspace)
    # A link that is not a resource id ("", 0, {}) links nothing: AMLG-108 fails on it.
    return {role: _at(props, role) for role in ASSOCIATED_ROLES if is_resource_id(_at(props, role))}


def build_instance(
    inv: Inventory,
    workspace: Row,
    settings: InstanceSettings,
    shared: frozenset[str] = frozenset(),
) -> Instance:
    """Assemble the instance of one workspace row; ``shared`` holds the lower-cased ids of the
    associated resources other workspaces use too."""
    props = _props(workspace)
    ws_id = str(workspace["id"])
    associated = _associated_of(workspace)
    assoc_keys = {ids.norm(v) for v in associated.values()}

    candidates = list(user_outbound_destinations(workspace))
    selector = settings.selector
    if selector.ids:
        candidates += list(selector.ids)
    else:
        if selector.scope == "subscription":
            scope = ids.subscription_scope(ws_id)
        else:
            scope = ids.resource_group_scope(ws_id)
        pool = inv.in_scope(scope, selector.types)
        candidates += [r["id"] for r in pool if selector.picks(r)]
    integrated: list[str] = []
    seen: set[str] = set()
    for cand in candidates:
        key = ids.norm(cand)
        if key and key not in seen and key not in assoc_keys and key != ids.norm(ws_id):
            seen.add(key)
            integrated.append(cand)

    primary = _at(props, "primaryUserAssignedIdentity")
    primary = primary if isinstance(primary, str) and primary else None
    # A shared resource's endpoints sit in every sharer's VNet: they cannot outvote its own.
    own = [a for a in associated.values() if ids.norm(a) not in shared]
    others = [a for a in associated.values() if ids.norm(a) in shared]
    subnet = settings.solution_subnet or _solution_subnet(inv, ws_id, own, others)
    return Instance(
        id=ws_id,
        workspace=workspace,
        associated=associated,
        integrated=integrated,
        primary_identity=str(primary) if primary else None,
        principal_id=_principal(workspace, primary),
        solution_subnet=subnet,
        solution_vnet=(ids.vnet_of_subnet(subnet) or None) if subnet else None,
    )


def build_instances(inv: Inventory, settings: InstanceSettings | None = None) -> list[Instance]:
    """Every workspace's instance, in a stable (id) order."""
    settings = settings or InstanceSettings()
    workspaces = sorted(inv.of_type(WORKSPACE), key=lambda r: ids.norm(r["id"]))
    users: Counter[str] = Counter()
    for ws in workspaces:
        users.update({ids.norm(a) for a in _associated_of(ws).values()})
    shared_associated = frozenset(key for key, n in users.items() if n > 1)
    instances = [build_instance(inv, ws, settings, shared_associated) for ws in workspaces]
    owners: Counter[str] = Counter()
    for inst in instances:
        owners.update(inst.members())
    shared = frozenset(key for key, n in owners.items() if n > 1)
    if shared:
        for inst in instances:
            inst.shared = shared & inst.members()
    return instances
