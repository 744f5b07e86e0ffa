"""``--audit-log FILE``: one JSON line per write (what, request body, outcome, time); no tokens."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.remediate.plan import Action


class AuditLog:
    """Appends to a file; safe to call from the executor's worker threads."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.open("a", encoding="utf-8").close()
            except OSError as exc:
                raise InputError(f"{path}: cannot write the audit log: {exc.strerror}") from None

    def record(self, action: Action, outcome: str, code: str = "", message: str = "") -> None:
        """One line for one write attempt."""
        if self.path is None:
            return
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "action": action.id,
            "operation": action.operation,
            "target": action.target,
            "instance": action.instance,
            "request": {
                "method": action.call.method,
                "path": action.call.path,
                "api_version": action.call.api_version,
                "sdk": action.call.sdk,
                "body": action.body,
            },
            "rules": list(action.rule_ids),
            "outcome": outcome,
        }
        if code or message:
            entry["error"] = {"code": code, "message": message}
        line = json.dumps(entry, sort_keys=True)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
