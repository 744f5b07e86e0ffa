"""The worlds a template scan is judged in again: what is unknown before deployment, one way
and the other (conditions false, peerings Connected, firewall addresses given). Shared by
:mod:`amlguard.iac.conditional` and :mod:`amlguard.iac.peeringworlds`."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.model import Finding, SourceInfo

#: how many distinct unknowns are judged one by one (the rest together)
MAX_WORLDS = 8
#: up to this many distinct unknowns, every combination of them is judged (2**n - 1 worlds)
EXHAUSTIVE = 3

#: judge(rows, info) -> the findings of the same scan over those rows
Judge = Callable[[list[dict[str, Any]], SourceInfo], list[Finding]]

__all__ = ["EXHAUSTIVE", "MAX_WORLDS", "Judge", "finding_key", "worlds"]


def worlds(groups: list[tuple[str, list[str]]]) -> list[list[tuple[str, list[str]]]]:
    """The sets of groups judged together: with up to :data:`EXHAUSTIVE` groups every
    combination; with more, each alone (beyond :data:`MAX_WORLDS`, the rest together) and
    all of them at once."""
    if len(groups) <= EXHAUSTIVE:
        return [list(c) for n in range(1, len(groups) + 1) for c in combinations(groups, n)]
    single = groups
    if len(groups) > MAX_WORLDS:
        rest = [rid for _cond, members in groups[MAX_WORLDS - 1 :] for rid in members]
        single = [*groups[: MAX_WORLDS - 1], ("the other conditions", rest)]
    return [*([g] for g in single), groups]


def finding_key(f: Finding) -> tuple[str, str, str]:
    """What identifies a finding across the worlds judged: rule, resource and instance."""
    return (f.rule_id, ids.norm(f.resource_id), ids.norm(f.instance))
