"""The solution subnet of a workspace, read strictly from its private endpoints' subnets.

The solution VNet is where the workspace's inbound private endpoint sits (else where most
endpoints of its own associated resources sit, else where all endpoints of its shared ones
agree). A private endpoint always has a subnet: one whose ``properties.subnet.id`` is unknown
before deployment (a template ``reference()``), absent, null or not a subnet id cannot say
where it sits, and an endpoint the workspace lists but the scan lacks cannot either. When such
an endpoint could decide, the solution VNet is *undeterminable*, not absent: every rule that
needs it is ``error`` (exit 3), never "no solution VNet" + skip (exit 0) over real drift.
Only when no endpoint exists at all (or shared resources' endpoints disagree) is there none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from amlguard.scanner import ids, shapes
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING
from amlguard.scanner.unknown import Unknown, UnknownValue

__all__ = ["SolutionSubnet", "endpoint_subnet", "solution_subnet", "undetermined"]

#: why there is no solution VNet when no endpoint exists anywhere
NO_ENDPOINTS = (
    "the workspace has no inbound private endpoint and its associated resources have none"
)


class SolutionSubnet:
    """What the endpoints say: the subnet id; else the problem that keeps it undeterminable
    (``error``), else why there is none (``skipped``)."""

    __slots__ = ("problem", "subnet", "why")

    def __init__(
        self, subnet: str | None, problem: UnknownValue | None = None, why: str = ""
    ) -> None:
        self.subnet = subnet
        self.problem = problem
        self.why = why


def endpoint_subnet(pe: Row) -> str:
    """A private endpoint's ``properties.subnet.id``; raises :class:`shapes.UnknownAt` or
    :class:`shapes.MalformedValue` (naming the endpoint and the value) when it cannot say."""
    props = pe.get("properties")  # the common case first: a plain string id where Azure puts it
    subnet = props.get("subnet") if type(props) is dict else None
    found = subnet.get("id") if type(subnet) is dict else None
    if type(found) is str and ids.vnet_of_subnet(found):
        return found
    return _strict_subnet(pe)


def _strict_subnet(pe: Row) -> str:
    where = shapes.Where(f"private endpoint {pe.get('name') or pe.get('id')}", "properties")
    at = where
    raw = shapes.member(pe, "properties")
    props = shapes.obj(raw, at)
    if props is not None:
        at = where / "subnet"
        raw = shapes.member(props, "subnet")
        subnet = shapes.obj(raw, at)
        if subnet is not None:
            at = at / "id"
            raw = shapes.member(subnet, "id")
            found = shapes.text(raw, at)
            if found and ids.vnet_of_subnet(found):
                return found
            if found is not None:
                raw = found
    # A private endpoint always sits in a subnet: no subnet is not "in no VNet".
    if raw is MISSING or raw is None:
        said = "absent" if raw is MISSING else "null"
    else:
        said = f"{shapes.describe(raw)}, not a subnet id"
    raise shapes.MalformedValue(f"{at} is {said}: the endpoint's VNet cannot be read")


def _status(conn: Row) -> str:
    state = shapes.member(shapes.member(conn, "properties"), "privateLinkServiceConnectionState")
    status = shapes.member(state, "status") if isinstance(state, dict) else None
    return status.lower() if isinstance(status, str) else ""


def _read(pe: Row) -> tuple[str | None, UnknownValue | None]:
    try:
        return endpoint_subnet(pe), None
    except UnknownValue as problem:
        return None, problem


def solution_subnet(
    inv: Inventory, workspace: Row, associated: list[str], shared: list[str]
) -> SolutionSubnet:
    """The workspace's inbound endpoint's subnet (approved ones first, then by id); else the
    subnet most used by the endpoints of its own ``associated`` resources; else the one subnet
    all endpoints of its ``shared`` ones agree on (a split vote decides nothing). An endpoint
    whose subnet cannot be read makes the answer undeterminable when it could change it."""
    ws_id = str(workspace["id"])
    inbound = sorted(
        inv.endpoints_by_target.get(ids.norm(ws_id), []),
        key=lambda pair: (_status(pair[1]) != "approved", ids.norm(pair[0]["id"])),
    )
    if inbound:  # the first one is picked, whatever its subnet says
        subnet, problem = _read(inbound[0][0])
        return SolutionSubnet(subnet, problem)
    unscanned = _unscanned_inbound(inv, workspace)
    if unscanned is not None:
        return SolutionSubnet(None, unscanned)
    votes, spelled, problem, unread = _votes(inv, associated)
    if votes or problem is not None:
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if problem is not None and (not ranked or ranked[0][1] <= runner_up + unread):
            return SolutionSubnet(None, problem)  # the unread ones could win the vote
        return SolutionSubnet(spelled[ranked[0][0]])
    votes, spelled, problem, _unread = _votes(inv, shared)
    if len(votes) > 1:  # unread ones or not, no VNet of its own
        why = (
            f"{NO_ENDPOINTS} but shared ones, whose endpoints sit in {len(votes)} subnets "
            "(other workspaces' VNets)"
        )
        return SolutionSubnet(None, why=why)
    if problem is not None:
        return SolutionSubnet(None, problem)
    return SolutionSubnet(next(iter(spelled.values()), None), why=NO_ENDPOINTS)


def _unscanned_inbound(inv: Inventory, workspace: Row) -> UnknownValue | None:
    """An inbound endpoint the workspace lists (``privateEndpointConnections``) but the scan
    lacks: where it sits is unknown, not nowhere."""
    from amlguard.scanner.workspace_sources import connection_states

    try:
        connections = connection_states(workspace)
    except UnknownValue as problem:  # connections that cannot be read
        return problem
    for conn, _status in connections:
        pe = shapes.member(shapes.member(conn, "properties"), "privateEndpoint")
        pe_id = shapes.member(pe, "id") if isinstance(pe, dict) else None
        if isinstance(pe_id, str) and pe_id.strip() and inv.get(pe_id) is None:
            return shapes.MalformedValue(
                f"inbound private endpoint {ids.short_if_id(pe_id)} of workspace "
                f"{workspace.get('name') or workspace.get('id')} is not in the scanned "
                "inventory (outside the scan scope or deleted): the VNet it sits in is unknown"
            )
    return None


def _votes(
    inv: Inventory, targets: Iterable[str]
) -> tuple[Counter[str], dict[str, str], UnknownValue | None, int]:
    """How many endpoints of ``targets`` sit in each subnet (lower-cased id -> count, the
    spelling), the first unreadable subnet's problem and how many were unreadable."""
    votes: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    first: UnknownValue | None = None
    unread = 0
    for target in targets:
        for pe, _conn in inv.endpoints_by_target.get(ids.norm(target), []):
            subnet, problem = _read(pe)
            if problem is not None or subnet is None:
                unread += 1
                first = first or problem
                continue
            key = ids.norm(subnet)
            votes[key] += 1
            spelled.setdefault(key, subnet)
    return votes, spelled, first, unread


def undetermined(problem: UnknownValue) -> Unknown:
    """The value ``instance().solutionVnetId`` reads when the solution VNet is undeterminable:
    an :class:`Unknown`, so every condition that reads it is ``error`` with ``problem``'s words
    (Kleene logic still lets another branch decide)."""
    return Unknown("solution VNet", said=f"no solution VNet can be determined: {problem}")
