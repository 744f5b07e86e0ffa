"""What a condition sees while it is evaluated: the resource, its instance, the inventory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amlguard.scanner.inventory import Inventory, Row
    from amlguard.scanner.privatelink import PrivateLinkTable


class Undeterminable(Exception):
    """The data a rule needs is not there; the finding becomes ``error`` with this reason."""


class Decided(Undeterminable):
    """A rule's own treatment settles the finding with a status (``pass`` or ``skipped``) and
    this message: the ``iac:`` block of a rule judging a template (amlguard.iac.treatment)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class EvalContext:
    """One evaluation of one rule against one resource of one instance."""

    resource: Row
    inventory: Inventory
    instance: Any  # the amlguard.scanner.instances.Instance judged (None outside one)
    params: dict[str, Any]
    private_link: PrivateLinkTable
    cloud: str = "AzureCloud"
    # alias -> current element of a value/related count (``current('alias')``)
    currents: dict[str, Any] = field(default_factory=dict)
    # innermost field-count scopes: (lower-cased collection segments, element)
    field_scopes: list[tuple[tuple[Any, ...], Any]] = field(default_factory=list)
    # count items visited by the evaluation in progress (see conditions.WORK_BOUND)
    work: int = 0
    # what a passing judgement found, in words (a rule with ``pass_message`` collects it;
    # None when nobody asks: related sources then say nothing)
    notes: list[str] | None = None
