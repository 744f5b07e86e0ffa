"""The rule parameters a saved plan is re-derived with: the pack's defaults, then the config's.

``apply`` rebuilds each action as the planner would have made it; where the planner read a
rule parameter (the role to assign, whether outbound rules enable Spark), the rebuild reads the
same parameter from here, never from the plan file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def rule_parameters(
    policies: Iterable[Path] = (), overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Rule id -> effective parameters (defaults of the built-in pack and ``policies``,
    overridden by the config's ``parameters``)."""
    from amlguard.scanner.rules import load_pack

    given = {str(k).upper(): dict(v) for k, v in (overrides or {}).items()}
    return {r.id: {**r.defaults(), **given.get(r.id, {})} for r in load_pack(list(policies)).rules}
