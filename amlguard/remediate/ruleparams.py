"""The rule parameters a saved plan is re-derived with: the pack's defaults, then the config's.

``apply`` rebuilds each action as the planner would have made it; where the planner read a
rule parameter (the role to assign, whether outbound rules enable Spark), the rebuild reads the
same parameter from here, never from the plan file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def rule_parameters(config: Any = None) -> dict[str, dict[str, Any]]:
    """Rule id -> effective parameters: the defaults of the built-in pack and the config's
    ``policies``, overridden by the config's ``parameters`` and its shortcut keys."""
    from amlguard.scanner.rules import load_pack

    pack = load_pack(list(getattr(config, "policies", ()) or ()))
    overrides: Mapping[str, Mapping[str, Any]] = {}
    if config is not None:
        overrides = config.parameters_with_shortcuts(pack.settings.get("config_shortcuts"))
    given = {str(k).upper(): dict(v) for k, v in overrides.items()}
    return {r.id: {**r.defaults(), **given.get(r.id, {})} for r in pack.rules}


def instance_settings_of(config: Any = None) -> Any:
    """The instance assembly settings (integration selector, solution subnet, isolation) a
    check with ``config`` would use: what ``apply`` judges DNS resolution of its cuts with."""
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import ScanOptions, instance_settings

    pack = load_pack(list(getattr(config, "policies", ()) or ()))
    selector = getattr(config, "integration_selector", None)
    options = ScanOptions(
        integration_selector=dict(selector) if selector else None,
        solution_subnet=getattr(config, "solution_subnet", None),
        network_isolation=getattr(config, "network_isolation", None),
    )
    return instance_settings(pack, options)
