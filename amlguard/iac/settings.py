"""The ``iac:`` section of ``amlguard.yaml`` and the template flags, as one TemplateSource.

    iac:
      templates: [infra/main.json]            # files or folders, relative to the config file
      parameters: [infra/main.parameters.json]
      parameter: {location: westeurope}       # NAME: VALUE (not for secrets: use a file)
      deployment: {subscription: 8f1c..., resource_group: ml-secure-blueprint, location: westeurope}

Flags win over the section, key by key (``--template`` replaces ``templates``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource

KEYS = {"templates", "parameters", "parameter", "deployment"}
DEPLOYMENT_KEYS = {"subscription", "resource_group", "location"}


def _paths(section: Mapping[str, Any], key: str, base: Path) -> list[Path]:
    value = section.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"config iac.{key}: expected a list of paths")
    return [Path(v) if Path(v).is_absolute() else base / v for v in value]


def template_source(
    section: Mapping[str, Any] | None,
    base: Path,
    *,
    templates: Sequence[Path] = (),
    parameter_files: Sequence[Path] = (),
    parameters: Mapping[str, str] | None = None,
    subscription: str | None = None,
    resource_group: str | None = None,
    location: str | None = None,
) -> TemplateSource | None:
    """The TemplateSource of the flags over the config section; None when neither names a
    template. ``base`` is the config file's directory (relative paths in it)."""
    section = section or {}
    if not isinstance(section, Mapping):
        raise InputError("config iac: expected a mapping")
    unknown = sorted(set(section) - KEYS)
    if unknown:
        raise InputError(
            f"config iac: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    deployment = section.get("deployment") or {}
    if not isinstance(deployment, Mapping) or set(deployment) - DEPLOYMENT_KEYS:
        raise InputError(
            f"config iac.deployment: expected a mapping of {', '.join(sorted(DEPLOYMENT_KEYS))}"
        )
    values = section.get("parameter") or {}
    if not isinstance(values, Mapping):
        raise InputError("config iac.parameter: expected a mapping NAME: VALUE")
    chosen = list(templates) or _paths(section, "templates", base)
    if not chosen:
        return None
    files = list(parameter_files) or _paths(section, "parameters", base)
    merged = {str(k): v if isinstance(v, str) else _json(v) for k, v in values.items()}
    merged.update(parameters or {})
    defaults = DeploymentContext()
    context = DeploymentContext(
        subscription_id=subscription
        or str(deployment.get("subscription") or defaults.subscription_id),
        resource_group=resource_group
        or str(deployment.get("resource_group") or defaults.resource_group),
        location=location or (str(deployment["location"]) if deployment.get("location") else None),
    )
    return TemplateSource(chosen, files, merged, context)


def _json(value: Any) -> str:
    """A YAML value as the text ``--parameter`` would take (booleans as true/false)."""
    import json

    return json.dumps(value)
