"""What an ``amlguard snapshot`` file was read for, and whether a check may judge it.

``amlguard snapshot`` reads only what its selected rules need (resource types, approver role
definitions, deny assignments from ARM). A check whose rules need more would judge rows that
were never read: a NIC with a public address that the snapshot did not fetch passes AMLG-302,
a deny assignment it did not read passes AMLG-106 (redteam8 items 13 and 14). The header
records what was read (``read_for``), and a check whose rules need anything else is refused
(exit 2) naming what is missing and how to take the snapshot again.

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


def read_for(needs: Needs, deny_assignments: bool) -> dict[str, Any]:
    """The header entry ``amlguard snapshot`` writes: what its rows were read for."""
    return {
        "types": sorted(t.lower() for t in needs.types),
        "role_definition_ids": sorted(r.lower() for r in needs.role_definition_ids),
        "deny_assignments": bool(deny_assignments),
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
        types, roles = _texts(recorded.get("types")), _texts(recorded.get("role_definition_ids"))
        denies = recorded.get("deny_assignments")
        if types is None or roles is None or denies not in (True, False):
            raise InputError(
                f"the snapshot header's '{READ_FOR}' is malformed (types and "
                "role_definition_ids must be arrays of strings, deny_assignments true or "
                "false): take it again with 'amlguard snapshot'"
            )
        missing = ["deny assignments"] if deny_assignments and not denies else []
        missing += [t for t in needs.types if t.lower() not in types]
        missing += [
            f"role definition {r}" for r in needs.role_definition_ids if r.lower() not in roles
        ]
        if missing:
            raise InputError(
                "the snapshot was not read for what the selected rules need: it lacks "
                + ", ".join(missing[:8])
                + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
                + f" (rules: {_ids(rules)}). Take the snapshot with the same --rule, --tag and "
                "--severity selection as the check (or none), or check it with the selection "
                "it was taken for"
            )


def _ids(rules: Iterable[Any]) -> str:
    names = [str(getattr(r, "id", r)) for r in rules]
    return ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
