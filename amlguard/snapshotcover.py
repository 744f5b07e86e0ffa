"""What an ``amlguard snapshot`` file was read for, and whether a check may judge it.

``amlguard snapshot`` reads only what its selected rules need (resource types, approver role
definitions, deny assignments from ARM). A check whose rules need more would judge rows that
were never read: a NIC with a public address that the snapshot did not fetch passes AMLG-302,
a deny assignment it did not read passes AMLG-106 (redteam8 items 13 and 14). The header
records what was read (``read_for``): every setting that decides it (resource types, the roles
whose assignments were read or ``all``, deny assignments, the integration selector, whose
computes were listed: redteam9 REPORT #2, #4, #5; the configured solution subnet), and a check whose rules or settings need
anything else is refused (exit 2) naming what is missing and how to take the snapshot again.

A ``read_for`` written before a field was recorded is judged by what that amlguard read: an
empty role list with role assignments read was a read of every role; no selector record is
refused only where the selector's ids or subscription-wide scope matter (its types are among
the types); no ``computes_of`` is refused by a check that judges computes; no
``solution_subnet`` was read for the detected one.

Snapshots not written by ``amlguard snapshot`` (a Resource Graph export, a hand-made file) carry
no ``rule_pack`` in their header and are judged as they are: they say nothing about what was
read. One written by an amlguard that did not record ``read_for`` is refused: what it lacks
cannot be known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner.sources.interface import Needs

READ_FOR = "read_for"
#: ``read_for.role_definition_ids`` when the assignments of every role were read
ALL_ROLES = "all"
#: ``read_for.computes_of``: computes were listed for every workspace without a managed network
#: (whatever ``network_isolation`` said); a file without it listed them per that setting
UNMANAGED = "unmanaged"
_ROLE_ASSIGNMENT = "microsoft.authorization/roleassignments"
_COMPUTE = "microsoft.machinelearningservices/workspaces/computes"
_ALL_COMPUTES = _COMPUTE + "#every-workspace"
_SCOPES = ("resource_group", "subscription")  # narrower first


def read_for(needs: Needs, deny_assignments: bool) -> dict[str, Any]:
    """The header entry ``amlguard snapshot`` writes: what its rows were read for."""
    types = sorted(t.lower() for t in needs.types)
    every = _ROLE_ASSIGNMENT in types and not needs.roles_to_read()
    selector = needs.selector
    return {
        "types": types,
        "role_definition_ids": ALL_ROLES
        if every
        else sorted(r.lower() for r in needs.role_definition_ids),
        "deny_assignments": bool(deny_assignments),
        "integration_selector": None
        if selector is None
        else {
            "types": sorted(t.lower() for t in selector.types),
            "ids": sorted(i.lower() for i in selector.ids),
            "scope": selector.scope,
        },
        "computes_of": UNMANAGED,
        "solution_subnet": needs.solution_subnet,
    }


def _headers(header: dict[str, Any]) -> list[dict[str, Any]]:
    files = header.get("files")
    if isinstance(files, list) and set(header) == {"files"}:
        return [h for h in files if isinstance(h, dict)]
    return [header] if header else []


def _texts(value: Any) -> set[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return {v.strip().lower() for v in value}


def check_coverage(
    header: dict[str, Any],
    needs: Needs,
    deny_assignments: bool,
    rules: Sequence[Any],
) -> None:
    """InputError when a snapshot written by ``amlguard snapshot`` was not read for everything
    ``needs`` (and ``deny_assignments``) asks; ``rules`` name who needs it."""
    for one in _headers(header):
        if "rule_pack" not in one and READ_FOR not in one:
            continue  # not amlguard's: nothing recorded either way
        recorded = one.get(READ_FOR)
        if not isinstance(recorded, dict):
            raise InputError(
                "the snapshot was written by an amlguard that did not record what it read "
                f"('{READ_FOR}' is absent or not an object in its header), so whether it holds "
                "what the selected rules need cannot be known: take it again with "
                "'amlguard snapshot'"
            )
        types, denies = _texts(recorded.get("types")), recorded.get("deny_assignments")
        raw_roles = recorded.get("role_definition_ids")
        every = isinstance(raw_roles, str) and raw_roles.strip().lower() == ALL_ROLES
        roles = set() if every else _texts(raw_roles)
        if types is None or roles is None or denies not in (True, False):
            raise InputError(
                f"the snapshot header's '{READ_FOR}' is malformed (types must be an array of "
                f"strings, role_definition_ids one too or '{ALL_ROLES}', deny_assignments true or "
                "false): take it again with 'amlguard snapshot'"
            )
        # written before 'all' was recorded: an empty list with role assignments read was a
        # read of every role (the query's 'none named'); a non-empty one read only those
        every = every or (not roles and _ROLE_ASSIGNMENT in types)
        missing = ["deny assignments"] if deny_assignments and not denies else []
        missing += [t for t in needs.types if t.lower() not in types]
        if needs.every_role and _ROLE_ASSIGNMENT in types and not every:
            missing.append(
                f"the role assignments of every role (it read those of {len(roles)} role(s) only)"
            )
        elif not every:
            missing += [
                f"role definition {r}" for r in needs.role_definition_ids if r.lower() not in roles
            ]
        missing += _selector_missing(one, recorded, needs)
        missing += _computes_missing(recorded, needs, types)
        missing += _subnet_missing(recorded, needs)
        if missing:
            raise InputError(
                "the snapshot was not read for what the selected rules need: it lacks "
                + ", ".join(missing[:8])
                + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
                + f" (rules: {_ids(rules)}). Take the snapshot with the same --rule, --tag and "
                "--severity selection and config as the check (or none), or check it with the "
                "selection it was taken for"
            )


def _selector_missing(header: dict[str, Any], recorded: dict[str, Any], needs: Needs) -> list[str]:
    """What the check's integration selector reads that the snapshot's did not: ids it names
    (read by id), or a subscription-wide selector's picks under a resource-group filter."""
    want = needs.selector
    if want is None:
        return []
    had = recorded.get("integration_selector", _ABSENT)
    if had is not None and had is not _ABSENT and not isinstance(had, dict):
        raise InputError(
            f"the snapshot header's '{READ_FOR}.integration_selector' is malformed (an object "
            "with types, ids and scope, or null): take it again with 'amlguard snapshot'"
        )
    filtered = _resource_group_filtered(header)
    if not isinstance(had, dict):  # not recorded (older amlguard), or no rule read them
        lacks = [f"integration selector id {i}" for i in want.ids]
        if want.scope == "subscription" and filtered:
            lacks.append("the subscription-wide integration selector's picks")
        return lacks
    had_ids = _texts(had.get("ids"))
    scope = str(had.get("scope") or "").strip().lower()
    if had_ids is None or scope not in _SCOPES:
        raise InputError(
            f"the snapshot header's '{READ_FOR}.integration_selector' is malformed (ids must "
            f"be an array of strings, scope one of {', '.join(_SCOPES)}): take it again with "
            "'amlguard snapshot'"
        )
    lacks = [f"integration selector id {i}" for i in want.ids if i.lower() not in had_ids]
    if filtered and want.scope == "subscription" and scope != "subscription":
        lacks.append("the subscription-wide integration selector's picks")
    return lacks


def _computes_missing(recorded: dict[str, Any], needs: Needs, types: set[str]) -> list[str]:
    """The computes of workspaces a check may judge as customer-VNet that a snapshot written
    before ``computes_of`` may not have listed (it listed them per its ``network_isolation``)."""
    if _COMPUTE not in {t.lower() for t in needs.types} or _ALL_COMPUTES in types:
        return []
    if recorded.get("computes_of") == UNMANAGED:
        return []
    return [
        "the computes of every workspace without a managed network (its header does not say "
        "whose computes it listed: they followed the network_isolation it was taken under)"
    ]


_ABSENT = object()


def _subnet_missing(recorded: dict[str, Any], needs: Needs) -> list[str]:
    """The configured solution subnet, when the snapshot was read for another (a filtered
    scan reads that VNet's NICs and DNS outside its scope): not recorded, it was read for the
    detected one only if the check configures none."""
    had = recorded.get("solution_subnet", _ABSENT)
    if had is _ABSENT:
        had = None
    elif had is not None and not isinstance(had, str):
        raise InputError(
            f"the snapshot header's '{READ_FOR}.solution_subnet' is malformed (a subnet id or "
            "null): take it again with 'amlguard snapshot'"
        )
    want = needs.solution_subnet
    if (had or "").strip().lower() == (want or "").strip().lower():
        return []
    return [
        "the solution subnet the check's config sets"
        if want
        else "the detected solution subnet (it was read for a configured one)"
    ]


def _resource_group_filtered(header: dict[str, Any]) -> bool:
    """Whether the snapshot was read under a ``--resource-group`` filter (unknown: yes)."""
    scope = header.get("scope")
    if not isinstance(scope, dict):
        return True
    groups = scope.get("resource_groups")
    return not (isinstance(groups, list) and not groups)


def _ids(rules: Iterable[Any]) -> str:
    names = [str(getattr(r, "id", r)) for r in rules]
    return ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
