"""The history database's schema: numbered migrations, applied in order, never edited.

``PRAGMA user_version`` holds the schema version and ``PRAGMA application_id`` marks the file
as ours, so a foreign SQLite file is refused instead of being written into. A released
migration is never changed: a new schema is a new step at the end of ``MIGRATIONS``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: "AMLG" as a big-endian 32-bit integer: marks the file as an amlguard history database.
APPLICATION_ID = 0x414D4C47


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # Not executescript(): on some Pythons it commits the caller's transaction first, and a
    # migration must be all-or-nothing.
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    """The first schema: scans and their findings."""
    _script(
        conn,
        """
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scan_time TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            scope TEXT NOT NULL,
            source_kind TEXT NOT NULL,
            source_description TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            pack_hash TEXT NOT NULL,
            complete INTEGER NOT NULL,
            gaps TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            rule_name TEXT NOT NULL,
            severity INTEGER NOT NULL,
            status TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            instance TEXT NOT NULL,
            message TEXT NOT NULL,
            path TEXT,
            expected TEXT,
            actual TEXT
        );
        CREATE INDEX findings_scan ON findings(scan_id);
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Remember when each failure was first seen, so a diff can say "failing since".

    Existing rows are backfilled by walking each scope's scans in order: a failure inherits the
    date of the same finding failing in the scope's previous scan, else its own scan's time.
    """
    _script(
        conn,
        """
        ALTER TABLE findings ADD COLUMN first_seen TEXT;
        CREATE INDEX scans_scope ON scans(scope, id);
        """,
    )
    previous: dict[str, dict[tuple[str, str, str], str]] = {}
    scans = conn.execute("SELECT id, scope, scan_time FROM scans ORDER BY id").fetchall()
    for scan_id, scope, scan_time in scans:
        before = previous.get(scope, {})
        now: dict[tuple[str, str, str], str] = {}
        rows = conn.execute(
            "SELECT rowid, rule_id, resource_id, instance FROM findings "
            "WHERE scan_id = ? AND status = 'fail'",
            (scan_id,),
        ).fetchall()
        for rowid, rule_id, resource_id, instance in rows:
            key = (rule_id, resource_id.lower(), instance.lower())
            now[key] = before.get(key, scan_time)
            conn.execute("UPDATE findings SET first_seen = ? WHERE rowid = ?", (now[key], rowid))
        previous[scope] = now


def _v3(conn: sqlite3.Connection) -> None:
    """Record which rules each scan ran, so "no longer evaluated" is not mistaken for "fixed".

    Old scans are backfilled with the rules their findings name (the best that is known).
    """
    _script(
        conn,
        """
        CREATE TABLE scan_rules (
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            PRIMARY KEY (scan_id, rule_id)
        ) WITHOUT ROWID;
        INSERT INTO scan_rules (scan_id, rule_id)
            SELECT DISTINCT scan_id, rule_id FROM findings;
        """,
    )


def _v4(conn: sqlite3.Connection) -> None:
    """Keep why a finding was suppressed (reason, expiry, approver, or the baseline) and its
    baseline state, so an audit can see what was accepted at the time. Old rows: unknown."""
    _script(
        conn,
        """
        ALTER TABLE findings ADD COLUMN suppression TEXT;
        ALTER TABLE findings ADD COLUMN baseline_state TEXT
        """,
    )


def _v5(conn: sqlite3.Connection) -> None:
    """Keep the offenders a failure named (NICs, connections, resources), so a diff sees an
    aggregate finding grow. Old rows: NULL, unknown (such a row cannot show growth)."""
    _script(conn, "ALTER TABLE findings ADD COLUMN offenders TEXT")


def _v6(conn: sqlite3.Connection) -> None:
    """Keep each scan's ``--fail-on-new`` outcome (``off``, ``passed``, ``failed``,
    ``incomplete``), so the gate compares with the last scan it accepted, not with a failed
    run that was merely retried. Old scans: NULL, unknown (see ``HistoryStore.reference``)."""
    _script(conn, "ALTER TABLE scans ADD COLUMN gate TEXT")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
LATEST = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the schema up to ``target`` inside the caller's transaction; the version reached."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number in range(version + 1, target + 1):
        MIGRATIONS[number - 1](conn)
        # PRAGMAs cannot take parameters; both values are integers we control.
        conn.execute(f"PRAGMA user_version = {number}")
    if version == 0 and target > 0:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return max(version, target)
