"""The frozen settings of one run (built once by :func:`amlguard.settings.resolve`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.scanner.model import Severity

if TYPE_CHECKING:
    from amlguard.config import Config


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """One requested report: a format and a path (``None`` is standard output)."""

    format: str
    path: Path | None

    def describe(self) -> str:
        return f"{self.format}:{self.path if self.path is not None else '-'}"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a live scan covers (empty: every readable subscription)."""

    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    resource_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Connection:
    """How to reach Azure: cloud, endpoint, CA bundle, tenant, and how hard to push."""

    cloud: str = "AzureCloud"
    cloud_given: bool = False  # --cloud on the command line (a snapshot's own cloud must agree)
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    tenant: str | None = None
    batch_size: int = 1000
    quiet: bool = False
    log_level: str = "warning"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rules run: the pack plus ``--policies``, narrowed by ids, tags and severity."""

    policies: tuple[Path, ...] = ()
    custom_policies: tuple[Path, ...] = ()  # the ones the user named (flags and config)
    rule_ids: tuple[str, ...] = ()
    skip_rules: tuple[str, ...] = ()
    include_tags: tuple[str, ...] = ()
    min_severity: Severity | None = None
    described: str = ""  # the selection in the user's words, for "nothing selected"


@dataclass(frozen=True, slots=True)
class Outputs:
    """What to write: standard output's format, files, and how reports look."""

    stdout_format: str = "console"
    targets: tuple[OutputTarget, ...] = (OutputTarget("console", None),)
    verbose: bool = False
    color: bool = False
    compact: bool = False
    failed_only: bool = False
    sarif_artifact: Path | None = None
    #: ``log-analytics:URL`` outputs: Logs Ingestion URLs the findings are exported to
    exports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Gate:
    """What makes the exit code non-zero."""

    fail_on: Severity | None = Severity.LOW
    fail_on_new: bool = False
    fail_on_empty: bool = False
    use_suppressions: bool = True
    baseline: Path | None = None
    confirm: bool = False  # re-read failing resources from ARM before reporting


@dataclass(frozen=True, slots=True)
class History:
    """The scan history database (``path`` None: not recorded)."""

    path: Path | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    """``--fix``: plan, confirm, apply and verify repairs."""

    enabled: bool = False
    dry_run: bool = False
    yes: bool = False
    only: tuple[str, ...] = ()
    plan_out: Path | None = None
    audit_log: Path | None = None
    concurrency: int = 8


@dataclass(frozen=True, slots=True)
class Templates:
    """``--template`` and its parameters: templates judged before they are deployed."""

    paths: tuple[Path, ...] = ()
    parameter_files: tuple[Path, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    subscription: str | None = None
    resource_group: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Everything one scanning command was asked to do, after precedence was applied."""

    snapshots: tuple[Path, ...] = ()
    templates: Templates = Templates()
    scope: Scope = Scope()
    connection: Connection = Connection()
    selection: Selection = Selection()
    outputs: Outputs = Outputs()
    gate: Gate = Gate()
    history: History = History()
    fix: Fix = Fix()
    config: Config | None = None
    integration_selector: Mapping[str, Any] | None = None
    solution_subnet: str | None = None
    today: dt.date | None = None  # the day suppressions expire against (default: today, UTC)

    @property
    def live(self) -> bool:
        """True when the estate is read from Azure: no snapshot file, and not a template alone
        (a template is judged with the live estate only when a live scope is named)."""
        if self.snapshots:
            return False
        if self.has_templates:
            s = self.scope
            return bool(s.subscriptions or s.management_groups or s.resource_groups)
        return True

    @property
    def has_templates(self) -> bool:
        """True when templates are judged (flags, or the config's ``iac:`` section)."""
        return bool(self.templates.paths) or bool(
            self.config is not None and (self.config.iac or {}).get("templates")
        )
