"""The history database: record a scan in one transaction, read scans and findings back.

SQLite in WAL mode with a busy timeout, so a scheduled scan and a person running ``amlguard
diff`` (or two scans of different scopes) can use one file at once. Every SQLite error is turned
into a :class:`~amlguard.errors.HistoryError` naming the file, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from amlguard import __version__
from amlguard.errors import EXIT_INCOMPLETE, HistoryError
from amlguard.history import schema
from amlguard.history.instants import parse_instant
from amlguard.history.records import GATE_ACCEPTS, GATE_OFF, ScanRecord, StoredFinding, TrendPoint
from amlguard.history.reference import latest_accepted
from amlguard.history.rows import Since, dumps, first_seen, loads, offender_tuple, offenders_json
from amlguard.scanner.model import ScanResult, Severity, Status

#: Seconds a writer waits for another writer before giving up.
BUSY_TIMEOUT = 30.0


class HistoryBusyError(HistoryError):
    """Another process held the database longer than the busy timeout (exit 3: the scan ran,
    its reports can still be written, but it was not recorded)."""

    exit_code = EXIT_INCOMPLETE


def default_scope(result: ScanResult) -> str:
    """What a scan is compared against: its source's description, qualified by the kind."""
    return f"{result.source.kind}:{result.source.description}"


def _now() -> str:
    return (
        dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )


_SCAN_COLUMNS = (
    "s.id, s.scan_time, s.recorded_at, s.scope, s.source_kind, s.source_description, "
    "s.tool_version, s.pack_version, s.pack_hash, s.complete, s.gaps, s.gate"
)
_COUNTS = ", ".join(
    f"COALESCE(SUM(f.status = '{s.value}'), 0)" for s in Status
)  # one column per status, in Status order
_MAX_ROWID = 2**63 - 1  # SQLite's largest integer
_REF = re.compile(r"^(?:latest|last)(?:~(\d+))?$", re.IGNORECASE)


class HistoryStore:
    """An open history database; use as a context manager, or call :meth:`close`."""

    def __init__(
        self, path: Path, *, create: bool = True, busy_timeout: float | None = None
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        if not create and not self.path.exists():
            raise HistoryError(
                f"{self.path}: no history database here (record one with check --history)"
            )
        if self.path.is_dir():
            raise HistoryError(f"{self.path}: is a directory, not a history database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(self.path), timeout=self.busy_timeout, isolation_level=None
            )
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"{self.path}: cannot open the history database: {exc}") from None
        try:
            with self._errors():
                self._open()
        except HistoryError:
            self._conn.close()
            raise

    # ---- opening: identify, then switch to WAL, then migrate
    def _open(self) -> None:
        conn = self._conn
        # One read transaction: marker, version and tables must come from the same moment, or a
        # writer migrating a new file in between makes it look like a foreign database.
        conn.execute("BEGIN")
        try:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
        finally:
            conn.execute("COMMIT")
        if app_id != schema.APPLICATION_ID and (app_id != 0 or tables or version):
            found = f"tables: {', '.join(sorted(tables)[:5])}" if tables else "no amlguard marker"
            raise HistoryError(
                f"{self.path}: not an amlguard history database ({found}); refusing to write into it"
            )
        if version > schema.LATEST:
            raise HistoryError(
                f"{self.path}: written by a newer amlguard (history schema v{version}; "
                f"this version reads up to v{schema.LATEST}); upgrade amlguard"
            )
        conn.execute("PRAGMA foreign_keys = ON")
        self._wal()
        if version < schema.LATEST:
            with self._transaction():
                # Re-read inside the write lock: another process may have migrated meanwhile.
                schema.migrate(conn)

    def _wal(self) -> None:
        # Switching the journal mode needs a moment without other writers; the busy handler does
        # not cover it on every SQLite, so retry briefly. WAL then persists in the file.
        for attempt in range(50):
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OverflowError:  # a number no SQLite integer holds: nothing can match it
            raise HistoryError(
                f"{self.path}: a number too large for the history database"
            ) from None
        except UnicodeDecodeError:  # SQLite's message quotes a damaged schema's bytes
            raise HistoryError(
                f"{self.path}: the history database is corrupted (its schema is not text); "
                "move it aside to start a new history"
            ) from None
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise HistoryBusyError(
                    f"{self.path}: history busy: another amlguard holds the database for longer "
                    f"than the {self.busy_timeout:g} s timeout; this scan was not recorded"
                ) from None
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise HistoryError(
                    f"{self.path}: the history database is corrupted or not SQLite ({text}); "
                    "move it aside to start a new history"
                ) from None
            raise HistoryError(f"{self.path}: history database error: {text}") from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so reading
        # the previous scan and writing this one see the same state.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing
    def record(
        self,
        result: ScanResult,
        scope: str | None = None,
        gate: Callable[[ScanRecord], str] | None = None,
    ) -> ScanRecord:
        """Store one scan and its findings in a single transaction; the stored scan. ``gate``
        decides the scan's ``--fail-on-new`` outcome inside that transaction (it may read the
        history); without it the scan is recorded with the gate off."""
        scope = scope or default_scope(result)
        src = result.source
        with self._errors(), self._transaction():
            prev = self._conn.execute(
                "SELECT id FROM scans WHERE scope = ? ORDER BY id DESC LIMIT 1", (scope,)
            ).fetchone()
            since: Since = {}
            if prev:
                # Failures, and unjudged findings that were failing when last judged.
                for rule_id, resource_id, instance, seen, named in self._conn.execute(
                    "SELECT rule_id, resource_id, instance, first_seen, offenders FROM findings "
                    "WHERE scan_id = ? AND first_seen IS NOT NULL",
                    (prev[0],),
                ):
                    key = (rule_id, resource_id.lower(), instance.lower())
                    since[key] = (seen, named)
            cur = self._conn.execute(
                "INSERT INTO scans (scan_time, recorded_at, scope, source_kind, "
                "source_description, tool_version, pack_version, pack_hash, complete, gaps) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.scan_time,
                    _now(),
                    scope,
                    src.kind,
                    src.description,
                    __version__,
                    result.pack_version,
                    result.pack_hash,
                    int(src.complete),
                    json.dumps([g.reason + (f" [{g.scope}]" if g.scope else "") for g in src.gaps]),
                ),
            )
            scan_id = int(cur.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO findings (scan_id, rule_id, rule_name, severity, status, "
                "resource_id, resource_type, instance, message, path, expected, actual, "
                "first_seen, suppression, baseline_state, offenders) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        scan_id,
                        f.rule_id,
                        f.rule_name,
                        int(f.severity),
                        f.status.value,
                        f.resource_id,
                        f.resource_type,
                        f.instance,
                        f.message,
                        f.path,
                        dumps(f.expected),
                        dumps(f.actual),
                        first_seen(f, since, result.scan_time),
                        dumps(f.suppression),
                        f.baseline_state,
                        offenders_json(f, since),
                    )
                    for f in result.findings
                ),
            )
            rule_ids = {str(r.id) for r in result.rules} | {f.rule_id for f in result.findings}
            self._conn.executemany(
                "INSERT INTO scan_rules (scan_id, rule_id) VALUES (?, ?)",
                ((scan_id, r) for r in sorted(rule_ids)),
            )
            outcome = gate(self.scan(str(scan_id))) if gate is not None else GATE_OFF
            self._conn.execute("UPDATE scans SET gate = ? WHERE id = ?", (outcome, scan_id))
        return self.scan(str(scan_id))

    def prune(
        self,
        keep: int | None = None,
        before: dt.datetime | None = None,
        *,
        keep_latest: bool = True,
        dry_run: bool = False,
    ) -> list[ScanRecord]:
        """Delete old scans: all but the newest ``keep`` of each scope, and/or those taken before
        the instant ``before``; the latest scan of each scope, and the newest one a
        ``--fail-on-new`` gate accepts (what the next gate compares with), stay unless
        ``keep_latest`` is false. Returns the scans deleted (or, with ``dry_run``, that would be); the file is
        compacted. A scan whose time cannot be read is never deleted by ``before``."""
        if keep is None and before is None:
            raise HistoryError("prune: say what to delete (--keep N and/or --before DATE)")
        with self._errors():
            with self._transaction():
                doomed = self._doomed(keep, before, keep_latest)
                if not dry_run:
                    self._conn.executemany(
                        "DELETE FROM scans WHERE id = ?", ((s.id,) for s in doomed)
                    )
                # Findings go with their scan (ON DELETE CASCADE; foreign keys are on).
            if doomed and not dry_run:
                self._conn.execute("VACUUM")
        return doomed

    def _doomed(
        self, keep: int | None, before: dt.datetime | None, keep_latest: bool
    ) -> list[ScanRecord]:
        rank: dict[str, int] = {}
        anchored: set[str] = set()  # scopes whose newest gate-accepted scan was kept
        doomed = []
        for scan in reversed(self.scans()):  # newest first
            rank[scan.scope] = rank.get(scan.scope, 0) + 1
            anchor = scan.scope not in anchored and scan.gate in (*GATE_ACCEPTS, None)
            if anchor:
                anchored.add(scan.scope)
            if keep_latest and (rank[scan.scope] == 1 or anchor):
                continue
            taken = parse_instant(scan.scan_time)
            old = before is not None and taken is not None and taken < before
            if (keep is not None and rank[scan.scope] > keep) or old:
                doomed.append(scan)
        return list(reversed(doomed))

    # ---- reading
    def scans(self, scope: str | None = None, limit: int | None = None) -> list[ScanRecord]:
        """Recorded scans, oldest first (the newest ``limit`` of them when given)."""
        where, args = ("WHERE s.scope = ?", [scope]) if scope is not None else ("", [])
        sql = (
            f"SELECT {_SCAN_COLUMNS}, {_COUNTS} FROM scans s "
            f"LEFT JOIN findings f ON f.scan_id = s.id {where} "
            "GROUP BY s.id ORDER BY s.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {min(int(limit), _MAX_ROWID)}"  # more than exist: all of them
        with self._errors():
            rows = self._conn.execute(sql, args).fetchall()
        return [self._scan_of(r) for r in reversed(rows)]

    def scan(self, ref: str, scope: str | None = None) -> ScanRecord:
        """A scan by id, or ``latest`` / ``latest~N`` (N scans before the latest, in ``scope``)."""
        text = ref.strip()
        match = _REF.match(text)
        with self._errors():
            if match:
                back = min(int(match.group(1) or 0), _MAX_ROWID)  # beyond: no such scan
                where, args = ("WHERE scope = ?", [scope]) if scope is not None else ("", [])
                row = self._conn.execute(
                    f"SELECT id FROM scans {where} ORDER BY id DESC LIMIT 1 OFFSET ?",
                    [*args, back],
                ).fetchone()
                if row is None:
                    where_text = f" of scope {scope!r}" if scope is not None else ""
                    raise HistoryError(
                        f"{self.path}: no scan {text!r}{where_text} "
                        f"({self._count(scope)} scan(s) recorded)"
                    )
                scan_id = int(row[0])
            elif text.isdigit() and len(text) <= 18:  # beyond SQLite's 64-bit ids: no such scan
                scan_id = int(text)
            elif text.isdigit():
                raise HistoryError(f"{self.path}: no scan with id {text[:30]} (ids are smaller)")
            else:
                raise HistoryError(f"scan {ref!r}: give a scan id, 'latest' or 'latest~N'")
            row = self._conn.execute(
                f"SELECT {_SCAN_COLUMNS}, {_COUNTS} FROM scans s "
                "LEFT JOIN findings f ON f.scan_id = s.id WHERE s.id = ? GROUP BY s.id",
                (scan_id,),
            ).fetchone()
        if row is None:
            raise HistoryError(
                f"{self.path}: no scan with id {scan_id} (see 'amlguard history list')"
            )
        return self._scan_of(row)

    def previous(self, scan: ScanRecord) -> ScanRecord | None:
        """The scan of the same scope recorded just before ``scan`` (None for the first)."""
        with self._errors():
            row = self._conn.execute(
                "SELECT id FROM scans WHERE scope = ? AND id < ? ORDER BY id DESC LIMIT 1",
                (scan.scope, scan.id),
            ).fetchone()
        return self.scan(str(row[0])) if row else None

    def reference(self, scan: ScanRecord, fail_on: Severity | None) -> ScanRecord | None:
        """The scan a ``--fail-on-new`` gate compares ``scan`` with: the newest earlier scan of
        its scope the gate accepted (see :mod:`amlguard.history.reference`), or None."""
        with self._errors():
            found = latest_accepted(self._conn, scan.scope, scan.id, fail_on)
        return self.scan(str(found)) if found is not None else None

    def findings(self, scan_id: int) -> list[StoredFinding]:
        """Every finding of one scan, in the order they were recorded."""
        with self._errors():
            rows = self._conn.execute(
                "SELECT rule_id, rule_name, severity, status, resource_id, resource_type, "
                "instance, message, path, expected, actual, first_seen, suppression, "
                "baseline_state, offenders FROM findings "
                "WHERE scan_id = ? ORDER BY rowid",
                (scan_id,),
            ).fetchall()
            return [
                StoredFinding(
                    rule_id=r[0],
                    rule_name=r[1],
                    severity=Severity(int(r[2])),
                    status=Status(r[3]),
                    resource_id=r[4],
                    resource_type=r[5],
                    instance=r[6],
                    message=r[7],
                    path=r[8],
                    expected=loads(r[9]),
                    actual=loads(r[10]),
                    first_seen=r[11],
                    suppression=loads(r[12]),
                    baseline_state=r[13],
                    offenders=offender_tuple(r[14]),
                )
                for r in rows
            ]

    def rules_of(self, scan_id: int) -> set[str]:
        """The rule ids a scan evaluated."""
        with self._errors():
            return {
                r[0]
                for r in self._conn.execute(
                    "SELECT rule_id FROM scan_rules WHERE scan_id = ?", (scan_id,)
                )
            }

    def trend(self, scope: str, limit: int = 60) -> list[TrendPoint]:
        """Failing and error counts of the newest ``limit`` scans of a scope, oldest first."""
        return [
            TrendPoint(s.id, s.scan_time, s.failing, s.counts.get("error", 0), s.complete)
            for s in self.scans(scope, limit)
        ]

    def _count(self, scope: str | None) -> int:
        if scope is None:
            return int(self._conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0])
        return int(
            self._conn.execute("SELECT COUNT(*) FROM scans WHERE scope = ?", (scope,)).fetchone()[0]
        )

    @staticmethod
    def _scan_of(row: tuple[Any, ...]) -> ScanRecord:
        counts = {s.value: int(n) for s, n in zip(Status, row[12:], strict=True)}
        return ScanRecord(
            id=int(row[0]),
            scan_time=row[1],
            recorded_at=row[2],
            scope=row[3],
            source_kind=row[4],
            source_description=row[5],
            tool_version=row[6],
            pack_version=row[7],
            pack_hash=row[8],
            complete=bool(row[9]),
            gaps=tuple(json.loads(row[10] or "[]")),
            counts=counts,
            gate=row[11],
        )
