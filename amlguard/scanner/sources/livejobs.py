"""The live source's query jobs: run under a progress phase, their failures turned into gaps.

A job is ``(name, query text, scope)``. :class:`Jobs` runs a list of them (concurrently when
there are several), reports each phase's progress, and merges what came back: the rows, and a
:class:`~amlguard.scanner.model.Gap` for every job that failed or hit the tenant limit, so that
what could not be read is never passed off as read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from amlguard.scanner.model import Gap
from amlguard.scanner.sources import dnsrefs, references
from amlguard.scanner.sources import narrowgaps as narrow_gaps
from amlguard.scanner.sources.live import CollectProgress
from amlguard.scanner.sources.query import Outcome, QueryRunner, Scope, Stats
from amlguard.scanner.sources.references import Job

LIMIT_TEXT = (
    "Resource Graph covered only part of the tenant or management group "
    "(x-ms-tenant-subscription-limit-hit): pass --subscription in batches"
)

__all__ = ["LIMIT_TEXT", "Jobs", "gapped", "gaps_for"]


class Jobs:
    """Runs query jobs with ``concurrency`` threads and reports progress by phase."""

    def __init__(
        self,
        stats: Stats,
        concurrency: int,
        reporter: CollectProgress | None,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.stats = stats
        self.concurrency = concurrency
        self.reporter = reporter
        self.progress = progress
        #: the readable subscriptions, once the scope is read (gaps name them one by one)
        self.readable: tuple[str, ...] = ()
        self.runner: QueryRunner | None = None
        self._lock = threading.Lock()
        self._phase = ""
        self._done = 0
        self._total = 0

    # ------------------------------------------------------------------ progress

    def set_phase(self, phase: str, total: int) -> None:
        """Start reporting ``phase``, of ``total`` requests."""
        with self._lock:
            self._phase, self._done, self._total = phase, 0, total
        if self.progress:
            self.progress(phase)
        self.report()

    def page(self, rows: int) -> None:
        """A page came back (the row count is in the statistics)."""
        self.report()

    def finished_one(self) -> None:
        """One request of the phase is done."""
        with self._lock:
            self._done += 1
        self.report()

    def report(self) -> None:
        """Tell the reporter where the collection stands."""
        if self.reporter is not None:
            self.reporter.update(
                phase=self._phase,
                queries_done=self._done,
                queries_total=self._total,
                rows=self.stats.rows,
                subscriptions=self.stats.subscriptions,
            )

    # ------------------------------------------------------------------ jobs

    def run_all(self, runner: QueryRunner, jobs: list[Job], phase: str) -> list[Outcome]:
        """Every job's outcome, in order, under ``phase``."""
        self.set_phase(phase, len(jobs))
        self.stats.add(queries=len(jobs))

        def one(job: Job) -> Outcome:
            try:
                return runner.run(*job)
            finally:
                self.finished_one()

        if len(jobs) <= 1:
            return [one(j) for j in jobs]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(one, jobs))

    def merge(
        self,
        jobs: list[Job],
        outcomes: list[Outcome],
        gaps: list[Gap],
        narrow: narrow_gaps.Narrow | None = None,
    ) -> list[dict[str, Any]]:
        """The jobs' rows; a gap for each failed job (``narrow``: to what it touches)."""
        rows: list[dict[str, Any]] = []
        for job, got in zip(jobs, outcomes, strict=True):
            rows.extend(got.rows)
            if got.error and narrow is not None:
                gaps.append(narrow_gaps.narrowed(got.error, narrow(job)))
            elif got.error:
                gaps.extend(gaps_for(job[2], got.error, self.readable))
            if got.limit_hit:
                gaps.append(Gap(LIMIT_TEXT))
        return rows

    def run_jobs(
        self,
        runner: QueryRunner,
        scopes: list[Scope],
        queries: list[tuple[str, str]],
        phase: str,
        gaps: list[Gap],
    ) -> list[dict[str, Any]]:
        """Each query over each scope: their rows, a gap for each that failed."""
        jobs = [(name, text, scope) for scope in scopes for name, text in queries]
        return self.merge(jobs, self.run_all(runner, jobs, phase), gaps)

    def named(self, runner: QueryRunner, gaps: list[Gap]) -> dnsrefs.RunJobs:
        """Runs jobs under a phase; ids asked for by id that do not come back from outside the
        scan are gaps, and a failed job's gap is narrowed when the caller says to what."""

        def run(
            jobs: list[Job],
            phase: str,
            named: list[str],
            narrow: narrow_gaps.Narrow | None = None,
        ) -> list[dict[str, Any]]:
            found = self.merge(jobs, self.run_all(runner, jobs, phase), gaps, narrow)
            references.unconfirmed(named, found, self.readable, gaps, phase)
            return found

        return run


def gapped(gaps: list[Gap]) -> set[str]:
    """The subscriptions (lower-cased) already known to be unreadable."""
    return {g.scope.lower() for g in gaps if g.scope}


def gaps_for(scope: Scope, reason: str, everything: Iterable[str]) -> Iterator[Gap]:
    """One gap per subscription of the scope, or one for all when the scope is everything."""
    subs = list(scope.subscriptions)
    if not subs or {s.lower() for s in subs} >= {s.lower() for s in everything}:
        yield Gap(reason)
        return
    for sub in subs:
        yield Gap(reason, sub)
