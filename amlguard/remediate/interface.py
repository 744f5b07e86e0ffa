"""The remediator interface: what a remediator plans, applies, needs and re-derives.

The remediators are looked up by name in :mod:`amlguard.remediate.catalog`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from amlguard.remediate.clients import RemediationClients
from amlguard.remediate.live import LiveView
from amlguard.remediate.plan import Action, ManualStep
from amlguard.scanner import ids
from amlguard.scanner.instances import Instance
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding
from amlguard.scanner.privatelink import PrivateLinkTable, default_table
from amlguard.scanner.rules import Rule


@dataclass(slots=True)
class PlanContext:
    """What a remediator may read while planning: the scan, never Azure (except ``reader``)."""

    inventory: Inventory
    instances: dict[str, Instance]  # lower-cased workspace id -> instance
    rules: dict[str, Rule]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    cloud: str = "AzureCloud"
    private_link: PrivateLinkTable = field(default_factory=default_table)
    # A live ARM GET (None offline): used only to check things a scan does not collect.
    reader: Callable[[str], dict[str, Any] | None] | None = None

    def instance_of(self, finding: Finding) -> Instance:
        return self.instances[ids.norm(finding.instance)]

    def owned_targets(
        self, findings: list[Finding]
    ) -> Iterator[tuple[Finding, Instance, str, dict[str, Any], str]]:
        """(finding, instance, resource id, row, lower-case type) of each judged resource its
        instance owns: remediation never acts outside the scanned instance."""
        for f in findings:
            inst = self.instance_of(f)
            if ids.norm(f.resource_id) not in inst.members():
                continue
            row = self.inventory.get(f.resource_id) or {}
            rtype = str(row.get("type") or ids.parse(f.resource_id).type).lower()
            yield f, inst, f.resource_id, row, rtype

    def param(self, rule_id: str, name: str) -> Any:
        rule = self.rules.get(rule_id)
        values = {**(rule.defaults() if rule else {}), **self.parameters.get(rule_id, {})}
        return values.get(name)


@dataclass(slots=True)
class Proposal:
    """What a remediator proposes for its findings (drafts get ids and edges in ``assemble``)."""

    actions: list[Action] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: Proposal) -> None:
        self.actions += other.actions
        self.manual += other.manual
        self.warnings += other.warnings


class Remediator(abc.ABC):
    """Fixes the findings of the rules that name it; one write per action."""

    name: str = ""
    #: writes the managed network (outbound rules, provisioning, the approvals it needs): never
    #: planned for a customer-VNet workspace, which has none (real-estates 4.6)
    managed_network_only: bool = False

    @abc.abstractmethod
    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        """Draft actions (ids and dependencies are filled in later) and manual steps."""

    @abc.abstractmethod
    def apply(self, action: Action, clients: RemediationClients) -> str:
        """Make the write (waiting for a long-running operation); return a short note."""

    @abc.abstractmethod
    def permissions(self, action: Action) -> list[tuple[str, str]]:
        """(scope, Azure RBAC action) pairs the write needs."""

    @abc.abstractmethod
    def rebuild(self, action: Action, live: LiveView) -> Action:
        """The action as the planner would make it from its declared operation, target and
        after-values against a fresh ARM read; ``Tampered`` when what it declares is not
        something this remediator would ever plan."""


def manual_for(
    finding: Finding, instance: Instance, reason: str, command: str | None = None
) -> ManualStep:
    """A manual step for ``finding``; the command defaults to the one in its remediation text."""
    if command is None:
        # The remediation text is the summary line, then the rendered command(s) and notes.
        lines = [ln.strip() for ln in finding.remediation.splitlines() if ln.strip()]
        command = "\n".join(lines[1:]) if len(lines) > 1 else ""
    return ManualStep(finding.rule_id, finding.resource_id, instance.id, reason, command)
