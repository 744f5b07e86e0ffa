"""What a live scan was asked to cover, checked before it is trusted.

A scope that does not exist is not a clean estate: a ``--resource-group`` that matches nothing
readable is a gap naming it (exit 3), and a ``--subscription`` given by name is resolved to its
id, or refused with a message saying to use the id.
"""

from __future__ import annotations

import re
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner.model import Gap
from amlguard.scanner.sources import kql
from amlguard.scanner.sources.query import Scope

RESOURCE_GROUP = "microsoft.resources/subscriptions/resourcegroups"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def is_subscription_id(text: str) -> bool:
    """True for a subscription id (a GUID), false for a display name."""
    return bool(_GUID.match(text.strip()))


def resource_groups_query() -> str:
    """The resource groups of the scope's subscriptions (name and subscription only)."""
    return (
        f"resourcecontainers | where type =~ {kql.quote(RESOURCE_GROUP)} "
        "| project id, name, subscriptionId"
    )


def subscription_ids(runner: Any, given: tuple[str, ...]) -> tuple[str, ...]:
    """``given`` with every display name replaced by the id of the one readable subscription of
    that name; a name that matches none or several is an input error."""
    names = [g for g in given if g.strip() and not is_subscription_id(g)]
    if not names:
        return given
    got = runner.run("subscriptions", kql.subscriptions(), Scope())
    if got.error:
        raise InputError(
            f"--subscription {names[0]!r} is not a subscription id, and the readable "
            f"subscriptions could not be listed to resolve it ({got.error}): use the id"
        )
    by_name: dict[str, set[str]] = {}
    for row in got.rows:
        name = str(row.get("name") or "").strip().lower()
        by_name.setdefault(name, set()).add(str(row.get("subscriptionId") or ""))
    out = []
    for g in given:
        if not g.strip() or is_subscription_id(g):
            out.append(g)
            continue
        found = sorted(by_name.get(g.strip().lower(), set()) - {""})
        if len(found) != 1:
            why = "matches no readable subscription" if not found else "matches several"
            raise InputError(
                f"--subscription {g!r} is not a subscription id and {why} by name: "
                "use the subscription id ('az account list -o table' shows them)"
            )
        out.append(found[0])
    return tuple(out)


def missing_resource_groups(
    runner: Any, scopes: list[Scope], wanted: tuple[str, ...], readable: tuple[str, ...]
) -> list[Gap]:
    """A gap for each wanted resource group that no scanned subscription holds."""
    found: set[str] = set()
    for scope in scopes:
        got = runner.run("resource groups", resource_groups_query(), scope)
        if got.error:
            return [Gap(f"cannot list the resource groups of {scope.describe()}: {got.error}")]
        found |= {str(r.get("name") or "").lower() for r in got.rows}
    where = (
        f"subscription(s) {', '.join(readable)}"
        if readable and len(readable) <= 3
        else f"{len(readable)} readable subscriptions"
        if readable
        else "the scanned scope"
    )
    return [
        Gap(f"resource group {rg} not found in {where} (or not readable)")
        for rg in dict.fromkeys(wanted)
        if rg.lower() not in found
    ]
