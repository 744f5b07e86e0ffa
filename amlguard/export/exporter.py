"""The export: a scan's rows, after any spooled batches of earlier runs, to one ingestion URL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlguard.export.batches import Batch, iter_batches
from amlguard.export.delivery import Sender, Undelivered, clip
from amlguard.export.rows import encode_rows
from amlguard.export.spool import Spool, Spooled
from amlguard.export.target import BUDGET_S, LogAnalyticsTarget, parse_target
from amlguard.export.transport import transport_for
from amlguard.scanner.model import ScanResult

_log = logging.getLogger("amlguard.export")

#: Seconds one export may spend on failed attempts and the waits between retries.
DEFAULT_BUDGET_S = BUDGET_S
#: Requests in flight at once for a scan's batches (the service allows 12,000 a minute per DCR).
CONCURRENCY = 4


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
    batches = iter_batches(encode_rows(result, history=history))
    outcome = ExportOutcome(target.url)
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
    batches: Iterable[Batch],
    outcome: ExportOutcome,
    state_dir: Path | None,
    budget_s: float,
    started: float | None = None,
) -> ExportOutcome:
    started = time.monotonic() if started is None else started
    spool = Spool(target, state_dir)
    outcome.spool_dir = str(spool.folder)
    claimed = spool.claim()
    work = bool(claimed) or not isinstance(batches, list) or bool(batches)
    client = None
    try:
        if work:
            try:
                client = _client(factory, target.endpoint)
            except Exception as exc:  # no client, no request: every batch waits in the spool
                outcome.error = f"cannot create the Logs Ingestion client: {_clip(exc)}"
        sender = Sender(client, target, budget_s)
        stop = threading.Event()
        if outcome.error:
            stop.set()

        def attempt(batch: Batch) -> _Attempt:
            if stop.is_set():
                return _Attempt(batch, sent=False)
            done = _send(sender, batch)
            if done.error:
                stop.set()
            return done

        # The spool first, in order, one at a time; then this scan's batches, CONCURRENCY at once
        # (gzip and the network overlap; the service takes the rows in any order).
        for item in claimed:
            done = attempt(item.batch)
            _account(outcome, spool, done, item)
        with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="amlguard-export") as pool:
            # map() takes each batch as it is packed: encoding overlaps the first requests
            for done in pool.map(attempt, batches):
                outcome.rows += len(done.batch.rows)
                outcome.batches += 1
                _account(outcome, spool, done, None)
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


def _client(factory: Any, endpoint: str) -> Any:
    """The factory's Logs Ingestion client, on a transport that reads the environment once."""
    settings = getattr(factory, "settings", None)
    if settings is None:  # a factory without settings: its own transport
        return factory.logs_ingestion(endpoint)
    transport = transport_for(endpoint, getattr(settings, "ca_bundle", None))
    return factory.logs_ingestion(endpoint, transport=transport)


@dataclass(slots=True)
class _Attempt:
    """What became of one batch: the parts accepted, the parts left, the error if any."""

    batch: Batch
    sent: bool = True
    accepted: list[Batch] = field(default_factory=list)
    left: list[Batch] = field(default_factory=list)
    error: str | None = None


def _send(sender: Sender, batch: Batch) -> _Attempt:
    """Send one batch; never raises (an SDK surprise must not lose the rows either)."""
    try:
        return _Attempt(batch, accepted=sender.send(batch))
    except Undelivered as exc:
        return _Attempt(batch, accepted=exc.accepted, left=exc.left, error=exc.failure.cause)
    except Exception as exc:
        return _Attempt(batch, left=[batch], error=f"unexpected {_clip(exc)}")


def _account(outcome: ExportOutcome, spool: Spool, done: _Attempt, item: Spooled | None) -> None:
    """Count one batch's fate and keep in the spool whatever was not delivered."""
    delivered = sum(len(b.rows) for b in done.accepted)
    outcome.accepted += delivered
    if done.sent:
        outcome.sent += len(done.batch.rows)
    if item is not None:
        outcome.from_spool += delivered
    if done.error and outcome.error is None:
        outcome.error = done.error
    if not done.sent:
        _keep(spool, item, [done.batch])
    elif done.error:
        _keep(spool, item, done.left, partial=bool(done.accepted))
    elif item is not None:
        spool.delivered(item)


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
