"""The interface every inventory source implements."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amlguard.scanner.model import SourceInfo


@dataclass(slots=True)
class Collected:
    """Rows in Resource Graph's shape plus what the source knows about their completeness."""

    rows: list[dict[str, Any]]
    info: SourceInfo
    #: a verification still at work on these rows (``snapshotahead.Pending``): the scan that
    #: uses them stands only when it passes (None: verified before they were returned)
    pending: Any = None


@dataclass(frozen=True, slots=True)
class SelectorRead:
    """What the integration selector makes a scan read: its types (in ``Needs.types`` too),
    the ids it names (read by id) and its ``scope`` (``resource_group`` or ``subscription``)."""

    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    scope: str = "resource_group"


@dataclass(frozen=True, slots=True)
class Needs:
    """What the loaded rules need from a source: resource types, and role assignments."""

    types: tuple[str, ...]
    #: the roles whose assignments some rule reads by name (ignored when ``every_role``)
    role_definition_ids: tuple[str, ...] = ()
    #: some rule reads role assignments without a role filter, or judges roles by what they
    #: grant (AMLG-106): the assignments of every role are read, whatever others name
    every_role: bool = False
    #: the integration selector, when some rule reads integrated resources (None: none does)
    selector: SelectorRead | None = None
    #: the configured solution subnet (lower-cased; None: detected), whose VNet's NICs and
    #: DNS a filtered scan follows outside its scope
    solution_subnet: str | None = None

    def roles_to_read(self) -> tuple[str, ...]:
        """The role GUIDs the role-assignment read is narrowed to; empty reads every role."""
        return () if self.every_role else self.role_definition_ids


class Source(abc.ABC):
    """Produces the rows of one scan."""

    @abc.abstractmethod
    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        """Read the estate; raise a subclass of ``AmlguardError`` if nothing can be read."""
