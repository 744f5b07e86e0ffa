"""The progress display a live scan draws on stderr (rich), and when not to draw it."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


def wanted(quiet: bool, stream: Any = None) -> bool:
    """Progress only on an interactive stderr and without ``--quiet``."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


class RichProgress:
    """Queries done, rows read and subscriptions in scope, updated as pages arrive."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("queries  {task.fields[rows]} rows  {task.fields[subs]} subscriptions"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("connecting", total=None, rows=0, subs=0)

    def update(
        self, *, phase: str, queries_done: int, queries_total: int, rows: int, subscriptions: int
    ) -> None:
        self._progress.update(
            self._task,
            description=phase,
            completed=queries_done,
            total=queries_total or None,
            rows=rows,
            subs=subscriptions,
        )

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
