"""What a live scan is asked to cover and how hard it may push: its scope, tuning, progress.

The settings of :class:`~amlguard.scanner.sources.resourcegraph.ResourceGraphSource`, kept apart
from the source's phases, and :class:`Background`, which runs one of them (the ARM GETs for
zone groups) beside the Resource Graph queries.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from amlguard.scanner.model import Gap
from amlguard.scanner.sources.query import RetrySettings


@dataclass(frozen=True, slots=True)
class LiveScope:
    """What a live scan covers: subscriptions or management groups (or all), resource groups."""

    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    resource_groups: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.management_groups:
            text = "management group(s) " + ", ".join(self.management_groups)
        elif len(self.subscriptions) > 3:
            text = f"{len(self.subscriptions)} subscriptions"
        elif self.subscriptions:
            text = "subscription(s) " + ", ".join(self.subscriptions)
        else:
            text = "every readable subscription"
        if self.resource_groups:
            text += ", resource group(s) " + ", ".join(self.resource_groups)
        return text


class CollectProgress(Protocol):
    """Receives collection progress (the CLI draws it on stderr)."""

    def update(
        self, *, phase: str, queries_done: int, queries_total: int, rows: int, subscriptions: int
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Tuning knobs; the defaults suit a real tenant, tests shrink the waits."""

    batch_size: int = 1000
    concurrency: int = 4
    arm_concurrency: int = 8  # within the HTTP connection pool (10), which warns beyond it
    retry: RetrySettings = field(default_factory=RetrySettings)


class Background:
    """One task running beside the queries (the zone-group GETs); its gaps join at the end."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[list[dict[str, Any]]] | None = None
        self._gaps: list[Gap] = []

    @property
    def started(self) -> bool:
        return self._future is not None

    def start(self, task: Callable[[list[Gap]], list[dict[str, Any]]]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amlguard-arm")
        self._future = self._pool.submit(task, self._gaps)

    def result(self, gaps: list[Gap]) -> list[dict[str, Any]]:
        assert self._future is not None
        rows = self._future.result()
        gaps.extend(self._gaps)
        return rows

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
