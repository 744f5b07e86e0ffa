"""What a fix did: each action's outcome, what verification saw, what is left, the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from amlguard.remediate.execute import DONE, Outcome
from amlguard.remediate.plan import Plan
from amlguard.scanner.model import Finding


@dataclass(slots=True)
class Report:
    """What happened: each action's outcome, what verification saw, and what is left."""

    plan: Plan
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    verified: dict[str, bool] = field(default_factory=dict)  # action id -> read-back matches
    read_errors: list[str] = field(default_factory=list)
    reads: dict[str, Any] = field(default_factory=dict)  # lower-cased id -> ARM body (None: gone)
    fixed: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        """0 all planned fixed and verified; 1 failures remain; 3 Azure errors."""
        if self.dry_run:
            return EXIT_OK if self.plan.empty else EXIT_FINDINGS
        if self.read_errors or any(o.api_error for o in self.outcomes.values()):
            return EXIT_INCOMPLETE
        if any(o.status != DONE for o in self.outcomes.values()):
            return EXIT_FINDINGS
        if not all(self.verified.get(a.id, False) for a in self.plan.actions) or self.remaining:
            return EXIT_FINDINGS
        return EXIT_OK
