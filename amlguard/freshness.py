"""Judging what ARM says now where Resource Graph may still lag behind a write.

Resource Graph can show a write minutes after ARM does. Three things keep a verdict honest:

- after a fix, the ids it changed are recorded with a time (:func:`record_fixed`); for 24 hours
  a live check re-reads those resources from ARM before judging them, and says so;
- ``--confirm`` (and every ``--fix`` before it plans) re-reads the resources of every failing
  finding from ARM and judges again;
- a resource ARM no longer has is dropped; one it cannot read becomes a gap (fail closed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.scanner import ids
from amlguard.scanner.model import Gap, ScanResult, SourceInfo, Status
from amlguard.statedir import state_home

if TYPE_CHECKING:
    from amlguard.scanner.rules import Rule, RulePack
    from amlguard.scanner.scan import ScanOptions
    from amlguard.settings import CheckSettings

_log = logging.getLogger("amlguard.freshness")
Row = dict[str, Any]

#: How long a fixed resource is re-read from ARM by later checks.
RECENT = dt.timedelta(hours=24)
READ_CONCURRENCY = 8
_FILE = "recent-fixes.json"


def state_dir() -> Path:
    """``$XDG_STATE_HOME/amlguard`` (default ``~/.local/state/amlguard``)."""
    return state_home() / "amlguard"


def _load(path: Path, now: dt.datetime) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for rid, when in (data.get("fixed") or {}).items() if isinstance(data, dict) else ():
        try:
            stamp = dt.datetime.fromisoformat(str(when))
        except ValueError:
            continue
        if stamp.tzinfo is not None and now - stamp < RECENT:
            out[str(rid)] = str(when)
    return out


def record_fixed(resource_ids: Iterable[str], now: dt.datetime | None = None) -> None:
    """Remember that these resources were just changed (expired entries are dropped)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    path = state_dir() / _FILE
    entries = _load(path, now)
    for rid in resource_ids:
        if rid:
            entries[ids.norm(rid)] = now.isoformat()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"fixed": entries}, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # the fix itself succeeded: say so, do not fail it
        _log.warning("cannot record the fixed resources in %s: %s", path, exc)


def recently_fixed(now: dt.datetime | None = None) -> list[str]:
    """The ids (lower-cased) a fix changed within the last 24 hours."""
    return sorted(_load(state_dir() / _FILE, now or dt.datetime.now(dt.timezone.utc)))


# ------------------------------------------------------------------------------ ARM reads


def read_from_arm(
    factory: Any, resource_ids: list[str], stats: dict[str, Any] | None = None
) -> tuple[dict[str, Row | None], list[Gap]]:
    """ARM GETs, concurrently: lower-cased id -> row (None: ARM no longer has it), and gaps."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    from amlguard.azure.apiversions import api_version_of
    from amlguard.scanner.sources.armlist import as_row

    endpoint = factory.settings.endpoint
    client = factory.arm_pipeline()
    unique = {ids.norm(r): r for r in resource_ids if r}

    def one(rid: str) -> tuple[Row | None, Gap | None]:
        version = api_version_of(ids.parse(rid).type)
        try:
            started = time.monotonic()
            response = client.send_request(
                HttpRequest("GET", f"{endpoint}{rid}?api-version={version}")
            )
            _log.info(
                "GET %s: HTTP %s in %.3f s", rid, response.status_code, time.monotonic() - started
            )
        except AzureError as exc:
            return None, Gap(f"cannot re-read {rid} from ARM: {exc}", _sub(rid))
        if response.status_code == 404:
            return None, None
        if response.status_code != 200:
            return None, Gap(
                f"cannot re-read {rid} from ARM: HTTP {response.status_code}", _sub(rid)
            )
        try:
            body = response.json()
        except ValueError:
            return None, Gap(f"cannot re-read {rid} from ARM: the answer is not JSON", _sub(rid))
        if not isinstance(body, dict) or not body.get("id"):
            return None, Gap(f"cannot re-read {rid} from ARM: the answer has no id", _sub(rid))
        return as_row(body, {}), None

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(READ_CONCURRENCY, len(unique)))) as pool:
            answers = list(pool.map(one, unique.values()))
    finally:
        client.close()
    if stats is not None:
        stats["arm_rereads"] = stats.get("arm_rereads", 0) + len(unique)
    rows: dict[str, Row | None] = {}
    gaps: list[Gap] = []
    for key, (row, gap) in zip(unique, answers, strict=True):
        if gap is not None:
            gaps.append(gap)
        else:
            rows[key] = row
    return rows, gaps


def _sub(rid: str) -> str:
    return ids.parse(rid).subscription_id


def _overlaid(rows: list[Row], fresh: dict[str, Row | None]) -> list[Row]:
    """``rows`` with ARM's answers laid over them (added, replaced or dropped)."""
    out: dict[str, Row] = {}
    for row in rows:
        out[ids.norm(row.get("id"))] = row
    for key, answer in fresh.items():
        if answer is None:
            out.pop(key, None)
        else:
            out[key] = answer
    return list(out.values())


def _in_scope(rid: str, rows: list[Row], settings: CheckSettings) -> bool:
    parsed = ids.parse(rid)
    subs = {str(r.get("subscriptionId") or "").lower() for r in rows}
    if parsed.subscription_id.lower() not in subs:
        return False
    groups = {g.lower() for g in settings.scope.resource_groups}
    return not groups or parsed.resource_group.lower() in groups


def overlay_recent(
    settings: CheckSettings, rows: list[Row], info: SourceInfo, credential: Any = None
) -> tuple[list[Row], str | None]:
    """Rows with the resources a fix changed in the last 24 hours as ARM has them now, and a
    note saying so (None when there were none)."""
    recent = [rid for rid in recently_fixed() if _in_scope(rid, rows, settings)]
    if not recent:
        return rows, None
    from amlguard.azure.connect import client_factory

    fresh, gaps = read_from_arm(client_factory(settings, credential), recent, info.stats)
    info.gaps.extend(gaps)
    info.stats["recently_fixed_reread"] = len(recent)
    note = (
        f"{len(recent)} resource(s) a fix changed in the last 24 hours were judged as ARM has "
        "them now (Resource Graph may lag behind writes)"
    )
    return _overlaid(rows, fresh), note


def confirm_failures(
    settings: CheckSettings,
    pack: RulePack,
    rules: list[Rule],
    options: ScanOptions,
    rows: list[Row],
    result: ScanResult,
    credential: Any = None,
) -> tuple[list[Row], ScanResult]:
    """Re-read every failing finding's resource and workspace from ARM, and judge again."""
    wanted: dict[str, str] = {}
    for f in result.findings:
        if f.status is Status.FAIL:
            for rid in (f.resource_id, f.instance):
                wanted.setdefault(ids.norm(rid), rid)
    if not wanted:
        return rows, result
    from amlguard.azure.connect import client_factory
    from amlguard.scanner.scan import evaluate

    info = result.source
    fresh, gaps = read_from_arm(
        client_factory(settings, credential), list(wanted.values()), info.stats
    )
    info.gaps.extend(gaps)
    info.stats["confirmed_from_arm"] = len(wanted)
    rows = _overlaid(rows, fresh)
    before = sum(f.status is Status.FAIL for f in result.findings)
    again = evaluate(rows, pack, rules, options, info, started=result.scan_time)
    after = sum(f.status is Status.FAIL for f in again.findings)
    again.warnings.append(
        f"re-read {len(wanted)} resource(s) of failing findings from ARM: "
        f"{before - after} failure(s) no longer hold (Resource Graph lagged)"
        if after < before
        else f"re-read {len(wanted)} resource(s) of failing findings from ARM: every failure holds"
    )
    return rows, again
