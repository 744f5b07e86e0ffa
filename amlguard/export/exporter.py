"""The export: a scan's rows, after any spooled batches of earlier runs, to one ingestion URL."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.export.batches import Batch, make_batches
from amlguard.export.delivery import Sender, Undelivered, clip
from amlguard.export.rows import build_rows
from amlguard.export.spool import Spool, Spooled
from amlguard.export.target import LogAnalyticsTarget, parse_target
from amlguard.scanner.model import ScanResult

_log = logging.getLogger("amlguard.export")

#: Seconds one export may spend on failed attempts and the waits between retries.
DEFAULT_BUDGET_S = 120.0


@dataclass(slots=True)
class ExportOutcome:
    """What an export did; ``error`` is None when every row reached the service."""

    url: str
    rows: int = 0  # rows of this scan (the summary row included)
    sent: int = 0  # rows put in a request (this scan's and the spool's)
    accepted: int = 0  # rows in requests the service accepted (204)
    batches: int = 0  # batches of this scan's rows
    requests: int = 0  # HTTP requests made, retries included
    from_spool: int = 0  # rows of earlier runs delivered now
    spooled: int = 0  # batches waiting in the spool for this target afterwards
    spooled_rows: int = 0
    spool_dir: str = ""
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed (an empty export is ok too)."""
        return self.error is None

    def summary(self) -> str:
        """One line for standard error."""
        line = (
            f"log-analytics {self.url}: {self.accepted} of {self.sent} row(s) accepted, "
            f"{self.requests} request(s), {self.seconds:.2f} s"
        )
        if self.from_spool:
            line += f"; {self.from_spool} row(s) of earlier runs delivered from the spool"
        if self.error:
            line += (
                f"; FAILED: {self.error}; {self.spooled} batch(es) ({self.spooled_rows} row(s)) "
                f"kept in {self.spool_dir}: 'amlguard export retry --url URL' sends them"
            )
        return line

    def to_dict(self) -> dict[str, Any]:
        """The counts as a JSON object (for statistics)."""
        return {
            "url": self.url,
            "rows": self.rows,
            "sent": self.sent,
            "accepted": self.accepted,
            "batches": self.batches,
            "requests": self.requests,
            "from_spool": self.from_spool,
            "spooled": self.spooled,
            "spooled_rows": self.spooled_rows,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


def export_findings(
    result: ScanResult,
    url: str,
    factory: Any,
    *,
    history: Any = None,
    state_dir: Path | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
) -> ExportOutcome:
    """Send ``result`` (one row per finding plus a scan row) to ``url``, spooled batches first.

    ``factory`` is an :class:`amlguard.azure.clients.ClientFactory`; ``history`` the
    ``Recorded`` of ``check --history`` (adds new/known and first seen). A bad URL raises
    InputError (exit 2) before anything is sent; a delivery failure does not raise: it is in
    ``error`` (exit 3 for the caller) and the batches not delivered are in the spool.
    """
    target = parse_target(url)
    started = time.monotonic()
    batches = make_batches(build_rows(result, history=history))
    outcome = ExportOutcome(target.url, rows=sum(len(b.rows) for b in batches))
    outcome.batches = len(batches)
    return _deliver(target, factory, batches, outcome, state_dir, budget_s, started)


def retry_spool(
    url: str, factory: Any, *, state_dir: Path | None = None, budget_s: float = DEFAULT_BUDGET_S
) -> ExportOutcome:
    """Send the batches spooled for ``url`` now (``amlguard export retry``)."""
    target = parse_target(url, "--url ")
    return _deliver(target, factory, [], ExportOutcome(target.url), state_dir, budget_s)


def _deliver(
    target: LogAnalyticsTarget,
    factory: Any,
    batches: list[Batch],
    outcome: ExportOutcome,
    state_dir: Path | None,
    budget_s: float,
    started: float | None = None,
) -> ExportOutcome:
    started = time.monotonic() if started is None else started
    spool = Spool(target, state_dir)
    outcome.spool_dir = str(spool.folder)
    claimed = spool.claim()
    work: list[tuple[Batch, Spooled | None]] = [(s.batch, s) for s in claimed]
    work += [(b, None) for b in batches]
    failed = False
    client = None
    try:
        if work:
            try:
                client = factory.logs_ingestion(target.endpoint)
            except Exception as exc:  # no client, no request: every batch waits in the spool
                failed = True
                outcome.error = f"cannot create the Logs Ingestion client: {_clip(exc)}"
        sender = Sender(client, target, budget_s)
        for batch, item in work:
            if failed:
                _keep(spool, item, [batch])
                continue
            outcome.sent += len(batch.rows)
            try:
                accepted = sender.send(batch)
            except Undelivered as exc:
                failed = True
                outcome.error = exc.failure.cause
                accepted = exc.accepted
                _keep(spool, item, exc.left, partial=bool(accepted))
            except Exception as exc:  # an SDK surprise must not lose the rows either
                failed = True
                outcome.error = f"unexpected {_clip(exc)}"
                accepted = []
                _keep(spool, item, [batch])
            else:
                if item is not None:
                    spool.delivered(item)
            delivered = sum(len(b.rows) for b in accepted)
            outcome.accepted += delivered
            if item is not None:
                outcome.from_spool += delivered
        outcome.requests = sender.requests
    finally:
        if client is not None:
            client.close()
        # whatever happens, nothing stays claimed by this process
        for item in claimed:
            spool.release(item)
    outcome.spooled = len(spool.files())
    outcome.spooled_rows = spool.pending_rows() if outcome.spooled else 0
    outcome.warnings.extend(spool.warnings)
    outcome.seconds = time.monotonic() - started
    if outcome.error:
        _log.warning("%s", outcome.summary())
    return outcome


def _clip(exc: BaseException) -> str:
    return clip(f"{type(exc).__name__}: {exc}")


def _keep(spool: Spool, item: Spooled | None, left: list[Batch], partial: bool = False) -> None:
    """Keep undelivered batches: a spooled one stays as it was unless part of it got through."""
    if item is not None and not partial:
        spool.release(item)
        return
    for batch in left:
        spool.add(batch)
    if item is not None:
        spool.delivered(item)
