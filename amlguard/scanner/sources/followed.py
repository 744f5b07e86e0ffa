"""What a snapshot header records about reverse references (see ``reverse``), and the gap an
older snapshot taken with a resource-group filter gets. Light on imports: the ``check`` start-up
path reads snapshot headers.
"""

from __future__ import annotations

from typing import Any

from amlguard.excerpt import excerpt

#: what a live scan with a scope filter follows back; recorded in the snapshot header
FOLLOWED = ("hub projects", "integration selector", "private endpoints", "network interfaces")


def unfollowed_gap(header: dict[str, Any], path: object = "") -> str:
    """Why a snapshot written with a resource-group filter may lack what points at its
    resources ("" when it does not): one written before the live source followed reverse
    references (no ``reverse_references`` in its header) may have dropped a hub's projects,
    endpoints or NICs in other resource groups, and passed without them."""
    scope = header.get("scope")
    groups = scope.get("resource_groups") if isinstance(scope, dict) else None
    if not groups or "reverse_references" in header:
        return ""
    shown = ", ".join(excerpt(g, 60) for g in groups[:3]) if isinstance(groups, list) else "?"
    return (
        f"snapshot {path} was read with a resource-group filter ({shown}) by a version that "
        "did not follow what points at the scanned resources from other resource groups (a "
        "hub's projects, private endpoints, network interfaces): take the snapshot again"
    )
