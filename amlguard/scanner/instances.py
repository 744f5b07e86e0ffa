"""Blueprint instances: a workspace, its associated and integrated resources, its solution subnet.

Assembled once per scan (blueprint.md section 2). Resources that belong to no instance are never
judged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from amlguard.scanner import ids
from amlguard.scanner.integration import (
    IntegrationSelector,
    at,
    discover,
    user_outbound_destinations,
)
from amlguard.scanner.inventory import WORKSPACE, Inventory, Row
from amlguard.scanner.solution import solution_subnet, undetermined
from amlguard.scanner.unknown import UnknownValue

__all__ = [
    "ASSOCIATED_ROLES",
    "Instance",
    "InstanceSettings",
    "IntegrationSelector",
    "build_instance",
    "build_instances",
    "user_outbound_destinations",
]

ASSOCIATED_ROLES = ("storageAccount", "keyVault", "containerRegistry", "applicationInsights")
#: workspace kinds (compared lower-cased): a project joins its hub's instance (real-estates 4.1 E1)
PROJECT_KIND = "project"
HUB_KIND = "hub"


@dataclass(frozen=True, slots=True)
class InstanceSettings:
    """Scan-wide knobs of instance assembly (config or rule-pack parameters)."""

    selector: IntegrationSelector = field(default_factory=IntegrationSelector)
    solution_subnet: str | None = None
    #: ``managed``, ``custom`` or ``either`` (real-estates 4.4); a workspace tag overrides it
    network_isolation: str = "managed"
    #: the auditor set ``network_isolation`` explicitly (config): it wins over workspace tags,
    #: which the audited team controls
    isolation_fixed: bool = False


ISOLATION_CHOICES = ("managed", "custom", "either")
ISOLATION_TAG = "amlguard-network-isolation"


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
    #: the project workspaces (kind Project) whose ``hubResourceId`` names this hub, by id
    projects: list[Row] = field(default_factory=list)
    #: a project whose hub is not in the inventory: only project rules judge it (AMLG-120);
    #: it has no resources of its own, so nothing else is judged or remediated through it
    orphan: bool = False
    #: with ``integration_selector.mode: suggest``: what the selector alone picked
    suggested: list[str] = field(default_factory=list)
    #: the accepted outbound isolation for this workspace (setting or tag)
    network_isolation: str = "managed"
    #: a customer-VNet workspace judged as such: no managed network (isolationMode Disabled or
    #: absent) where ``custom``/``either`` isolation is accepted (never for hubs and projects)
    custom_vnet: bool = False
    #: why the solution VNet cannot be determined (an endpoint whose subnet is unknown before
    #: deployment, absent or malformed): the rules that need it are ``error``, not skipped
    solution_problem: UnknownValue | None = None
    #: why there is no solution VNet when there truly is none (what a skip says)
    solution_note: str = ""
    _view: dict[str, Any] | None = field(default=None, repr=False)
    #: what the fields in :data:`_SETTLED_LATER` are worked out from, until first read
    #: (see :func:`build_instance`); None once they are set
    _pending: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    if not TYPE_CHECKING:  # (mypy would take any attribute name for one of these)

        def __getattr__(self, name: str) -> Any:
            """A field of :data:`_SETTLED_LATER` read for the first time: work them out."""
            if name in _SETTLED_LATER:
                pending = self._pending
                if pending is not None:
                    _settle(self, *pending)
                    self._pending = None
                    return getattr(self, name)
            raise AttributeError(name)

    @property
    def name(self) -> str:
        return str(self.workspace.get("name") or self.id.rsplit("/", 1)[-1])

    @property
    def kind(self) -> str:
        """The workspace's kind as Azure spells it (``Default``, ``Hub``, ``Project``...)."""
        kind = self.workspace.get("kind")
        return kind if isinstance(kind, str) else ""

    def project_summaries(self) -> list[dict[str, str]]:
        """The projects under this hub as reports list them: id, name, resource group."""
        return [
            {
                "id": str(p["id"]),
                "name": str(p.get("name") or ids.short_name(str(p["id"]))),
                "resourceGroup": ids.parse(str(p["id"])).resource_group,
            }
            for p in self.projects
        ]

    def members(self) -> set[str]:
        """Lower-cased ids of everything this instance owns (the remediation boundary)."""
        return {ids.norm(i) for i in [self.id, *self.associated.values(), *self.integrated]}

    def view(self) -> dict[str, Any]:
        """What ``[instance()]`` returns to a rule."""
        if self._view is None:
            problem = self.solution_problem
            unknown = undetermined(problem) if problem is not None else None
            self._view = {
                "id": self.id,
                "name": self.name,
                **self.associated,
                "integrated": list(self.integrated),
                "primaryIdentity": self.primary_identity,
                "principalId": self.principal_id,
                "solutionSubnetId": unknown or self.solution_subnet,
                "solutionVnetId": unknown or self.solution_vnet,
                "kind": self.kind,
                "networkIsolation": self.network_isolation,
                "customVnet": self.custom_vnet,
                "projects": [str(p["id"]) for p in self.projects],
            }
        return self._view


def _props(row: Row) -> dict[str, Any]:
    p = at(row, "properties")
    return p if isinstance(p, dict) else {}


def _principal(workspace: Row, identity_id: str | None) -> str | None:
    if not identity_id:
        return None
    uais = at(workspace, "identity", "userAssignedIdentities") or {}
    if not isinstance(uais, dict):
        return None
    wanted = ids.norm(identity_id)
    for key, value in uais.items():
        if ids.norm(key) == wanted and isinstance(value, dict):
            principal = at(value, "principalId")
            return str(principal) if principal else None
    return None


def _associated_of(workspace: Row) -> dict[str, str]:
    props = _props(workspace)
    # A link that is not a resource id ("", 0, {}) links nothing: AMLG-108 fails on it.
    out: dict[str, str] = {}
    plain = props if type(props) is dict else {}
    for role in ASSOCIATED_ROLES:
        link = plain.get(role)  # once per role (at(): a case-insensitive walk when absent)
        if link is None:
            link = at(props, role)
        if ids.is_arm_id(link):
            out[role] = str(link)
    return out


#: the fields of an :class:`Instance` that :func:`build_instance` leaves to their first read:
#: only the instance's own evaluation reads them, so in a parallel check each process works
#: out its own share's after the fork instead of all of them before it
_SETTLED_LATER = frozenset(
    ("principal_id", "solution_subnet", "solution_vnet", "solution_problem", "solution_note")
)


def _settle(inst: Instance, inv: Inventory, shared: frozenset[str], fixed: str | None) -> None:
    """Set ``inst``'s :data:`_SETTLED_LATER` fields: the principal of its primary identity and
    its solution subnet (``fixed`` by the settings, else read from the endpoints)."""
    workspace = inst.workspace
    inst.principal_id = _principal(workspace, inst.primary_identity)
    associated = inst.associated.values()
    # A shared resource's endpoints sit in every sharer's VNet: they cannot outvote its own.
    own = [a for a in associated if ids.norm(a) not in shared]
    others = [a for a in associated if ids.norm(a) in shared]
    solved = None if fixed else solution_subnet(inv, workspace, own, others)
    subnet = fixed or (solved.subnet if solved else None)
    inst.solution_subnet = subnet
    inst.solution_vnet = (ids.vnet_of_subnet(subnet) or None) if subnet else None
    inst.solution_problem = solved.problem if solved else None
    inst.solution_note = solved.why if solved else ""


_LATER = tuple(_SETTLED_LATER)


def build_instance(
    inv: Inventory,
    workspace: Row,
    settings: InstanceSettings,
    shared: frozenset[str] = frozenset(),
    projects: list[Row] | None = None,
    associated: dict[str, str] | None = None,
) -> Instance:
    """Assemble the instance of one workspace row (a hub with its ``projects``); ``shared``
    holds the lower-cased ids of the associated resources other workspaces use too;
    ``associated`` is the workspace's links when the caller has read them already.

    The principal and the solution subnet are worked out on their first read (from the same
    inventory, which nothing changes after the build: the same values as if read now)."""
    if associated is None:
        associated = _associated_of(workspace)
    keys = {ids.norm(v) for v in associated.values()}
    return _assemble(inv, workspace, settings, shared, projects or [], associated, keys)[0]


def _assemble(
    inv: Inventory,
    workspace: Row,
    settings: InstanceSettings,
    shared: frozenset[str],
    projects: list[Row],
    associated: dict[str, str],
    associated_keys: set[str],
) -> tuple[Instance, set[str]]:
    """:func:`build_instance`, given the associated links' keys; and the instance's
    :meth:`Instance.members` (read off the keys worked out on the way)."""
    props = _props(workspace)
    ws_id = str(workspace["id"])
    ws_key = ids.norm(ws_id)
    own_keys = associated_keys | {ws_key, *(ids.norm(p["id"]) for p in projects)}
    found, picked = discover(inv, workspace, projects, settings.selector)
    integrated, integrated_keys = _unique_keyed(found, own_keys)
    suggested = _unique(picked, own_keys | integrated_keys) if picked else []

    primary = at(props, "primaryUserAssignedIdentity")
    primary = primary if isinstance(primary, str) and primary else None
    fixed = settings.isolation_fixed
    isolation = _isolation_choice(workspace, settings.network_isolation, fixed)
    inst = Instance(
        id=ws_id,
        workspace=workspace,
        associated=associated,
        integrated=integrated,
        primary_identity=str(primary) if primary else None,
        principal_id=None,
        solution_subnet=None,
        solution_vnet=None,
        projects=projects,
        suggested=suggested,
        network_isolation=isolation,
        custom_vnet=_custom(workspace, isolation),
        _pending=(inv, shared, settings.solution_subnet),
    )
    for name in _LATER:  # unset: the first read goes to Instance.__getattr__
        delattr(inst, name)
    return inst, {ws_key} | associated_keys | integrated_keys


def custom_vnet(workspace: Row, setting: str = "managed", fixed: bool = False) -> bool:
    """Whether a workspace is judged as a customer-VNet workspace: no managed network
    (isolationMode Disabled or absent) where ``custom``/``either`` is accepted (setting, or tag
    unless the setting is ``fixed``); never a hub or a project (they have no BYO VNet)."""
    return _custom(workspace, _isolation_choice(workspace, setting, fixed))


def _custom(workspace: Row, isolation: str) -> bool:
    """:func:`custom_vnet` of a workspace whose accepted isolation is ``isolation``."""
    if isolation == "managed":
        return False
    if str(workspace.get("kind") or "").strip().lower() in (HUB_KIND, PROJECT_KIND):
        return False
    mode = at(workspace, "properties", "managedNetwork", "isolationMode")
    return str(mode or "disabled").lower() == "disabled"


def isolation_tag(workspace: Row) -> str | None:
    """A workspace's valid ``amlguard-network-isolation`` tag (any casing), lower-cased."""
    tags = workspace.get("tags")
    for key, value in (tags if isinstance(tags, dict) else {}).items():
        if str(key).lower() == ISOLATION_TAG and str(value).strip().lower() in ISOLATION_CHOICES:
            return str(value).strip().lower()
    return None


def _isolation_choice(workspace: Row, default: str, fixed: bool = False) -> str:
    """The accepted isolation of a workspace: its ``amlguard-network-isolation`` tag (when
    valid) over the pack's default; a setting the auditor ``fixed`` in the config wins."""
    tagged = None if fixed else isolation_tag(workspace)
    if tagged is not None:
        return tagged
    choice = str(default or "managed").strip().lower()
    if choice not in ISOLATION_CHOICES:
        raise ValueError(
            f"network_isolation {default!r} is not one of {', '.join(ISOLATION_CHOICES)}"
        )
    return choice


def _unique(candidates: list[str], excluded: set[str]) -> list[str]:
    return _unique_keyed(candidates, excluded)[0]


def _unique_keyed(candidates: list[str], excluded: set[str]) -> tuple[list[str], set[str]]:
    """The candidates whose keys are new (not ``excluded``, not seen before), and their keys."""
    out: list[str] = []
    keys: set[str] = set()
    for cand in candidates:
        key = ids.norm(cand)
        if key and key not in keys and key not in excluded:
            keys.add(key)
            out.append(cand)
    return out, keys


def is_project(row: Row) -> bool:
    """Whether a workspace row is a project (kind ``Project``, any casing)."""
    kind = row.get("kind")
    return isinstance(kind, str) and kind.strip().lower() == PROJECT_KIND


def hub_id_of(project: Row) -> str:
    """The ``properties.hubResourceId`` a project names ("" when it names none)."""
    hub = at(project, "properties", "hubResourceId")
    return hub.strip() if isinstance(hub, str) else ""


def _orphan(project: Row) -> Instance:
    """A project whose hub is not in the inventory: an instance only project rules judge."""
    return Instance(
        id=str(project["id"]),
        workspace=project,
        associated={},
        integrated=[],
        primary_identity=None,
        principal_id=None,
        solution_subnet=None,
        solution_vnet=None,
        projects=[project],
        orphan=True,
    )


def build_instances(inv: Inventory, settings: InstanceSettings | None = None) -> list[Instance]:
    """Every workspace's instance, in a stable (id) order.

    A project joins the instance of the workspace its ``hubResourceId`` names (ids compared
    case-insensitively); a project whose hub is not in the inventory becomes an orphan
    instance that only project rules judge.
    """
    settings = settings or InstanceSettings()
    rows = sorted(inv.of_type(WORKSPACE), key=lambda r: ids.norm(r["id"]))
    workspaces = [r for r in rows if not is_project(r)]
    by_id = {ids.norm(ws["id"]): ws for ws in workspaces}
    projects: dict[str, list[Row]] = {}
    orphans: list[Row] = []
    for row in rows:
        if is_project(row):
            hub = ids.norm(hub_id_of(row))
            if hub in by_id:
                projects.setdefault(hub, []).append(row)
            else:
                orphans.append(row)
    users: Counter[str] = Counter()
    links = [_associated_of(ws) for ws in workspaces]  # read once, used twice
    link_keys = [{ids.norm(a) for a in associated.values()} for associated in links]
    for keys in link_keys:
        users.update(keys)
    shared_associated = frozenset(key for key, n in users.items() if n > 1)
    built = [
        _assemble(
            inv,
            ws,
            settings,
            shared_associated,
            projects.get(ids.norm(ws["id"]), []),
            associated,
            keys,
        )
        for ws, associated, keys in zip(workspaces, links, link_keys, strict=True)
    ]
    instances = [inst for inst, _members in built]
    members = [owned for _inst, owned in built]  # each instance's members()
    owners: Counter[str] = Counter()
    for owned in members:
        owners.update(owned)
    shared = frozenset(key for key, n in owners.items() if n > 1)
    if shared:
        for inst, owned in zip(instances, members, strict=True):
            inst.shared = shared & owned
    instances += [_orphan(p) for p in orphans]
    instances.sort(key=lambda i: ids.norm(i.id))
    return instances
