"""Parsed flags turned into settings: sources, colour, progress display and repair clients."""

from __future__ import annotations

import os
from typing import Any

import click


def flags_of(values: dict[str, Any]) -> Any:
    """The parsed flags with where each came from, as :mod:`amlguard.settings` reads them."""
    from amlguard.settings import Flags

    ctx = click.get_current_context(silent=True)
    sources: dict[str, str] = {}
    for name in values:
        source = ctx.get_parameter_source(name) if ctx is not None else None
        sources[name] = source.name.lower() if source is not None else "commandline"
    return Flags(values, sources)


def color_wanted(choice: str | None, stream: Any) -> bool:
    """``--color`` > FORCE_COLOR / NO_COLOR > whether ``stream`` is a terminal."""
    if choice and choice.lower() == "always":
        return True
    if choice and choice.lower() == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def settings_from(values: dict[str, Any], stream: Any = None) -> Any:
    """Flags + environment + config file -> one frozen ``CheckSettings``."""
    from amlguard import app, settings

    flags = flags_of(values)
    cfg = app.config_for(values.get("config_path"))
    resolved = settings.resolve(flags, cfg, color=color_wanted(values.get("color"), stream))
    if "log_level" in values and (resolved.live or resolved.connection.log_level != "warning"):
        from amlguard import logs  # a snapshot check imports no logging

        logs.configure(resolved.connection.log_level)
    return resolved


def reporter(quiet: bool) -> Any:
    """The progress display on stderr, unless ``--quiet`` or stderr is no terminal."""
    from amlguard import progress

    return progress.RichProgress() if progress.wanted(quiet) else None


def client_settings(kw: dict[str, Any]) -> Any:
    """Remediation's client settings from the connection flags (``check --fix``, ``apply``)."""
    from amlguard.azure.clients import AzureSettings, make_credential, resolve_cloud, validate
    from amlguard.remediate.clients import ClientSettings

    ca = kw.get("ca_bundle")
    azure = validate(
        AzureSettings(
            cloud=resolve_cloud(kw.get("cloud") or "AzureCloud").name,
            arm_endpoint=kw.get("arm_endpoint"),
            ca_bundle=str(ca) if ca else None,
            tenant=kw.get("tenant"),
        )
    )
    return ClientSettings(
        credential=make_credential(azure),
        arm_endpoint=azure.endpoint,
        ca_bundle=azure.ca_bundle,
        cloud=azure.cloud,
    )
