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
class Needs:
    """What the loaded rules need from a source: resource types, and role assignments."""

    types: tuple[str, ...]
    role_definition_ids: tuple[str, ...] = ()


class Source(abc.ABC):
    """Produces the rows of one scan."""

    @abc.abstractmethod
    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        """Read the estate; raise a subclass of ``AmlguardError`` if nothing can be read."""
