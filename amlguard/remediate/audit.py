"""``--audit-log FILE``: one JSON line per write (what, request body, outcome, time); no tokens.

The request logged is the one sent: a remediator writes through :class:`Recorder`, which notes
the body of each raw ARM write before it goes out (the Application Insights fix PUTs the whole
component it read, not the two properties its action holds); an action written through an SDK
client logs the action's body, which is what that client sends. A successful write carries its
apply step's note as ``detail``; only a failed or skipped one has an ``error`` (code, message).
Values under secret-named keys (a connection string, an instrumentation key, passwords, keys,
tokens) and text carrying a credential (a JWT, a ``Key=value`` connection string) are
``<redacted>``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.remediate.clients import RemediationClients
from amlguard.remediate.plan import Action

#: property names whose values are credentials, whatever they hold (case-insensitive)
_SECRET_KEY = re.compile(
    r"(?i)^(?:.*(?:password|secret|token|credential|connectionstring|instrumentationkey)"
    r"|.*(?:key|keys)|sas.*)$"
)
#: names ending in "key" that name no credential (a key vault, a key's id or source, ...)
_NOT_SECRET = frozenset({"keysource", "keyvaulturi", "keyname", "keyversion", "partitionkey"})
#: text that carries a credential: a JWT, a bearer token, a ``name=value`` credential in a
#: connection string (ids and GUIDs are no credentials and stay readable)
_CREDENTIAL_TEXT = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}|(?i:bearer\s+\S)"
    r"|(?i:(?:password|secret|token|sig|accountkey|sharedaccesskey|instrumentationkey)\s*=)"
)


def scrub(value: Any) -> Any:
    """``value`` with credential-named properties and secret-looking strings redacted."""
    if isinstance(value, dict):
        return {
            k: "<redacted>" if _secret_key(k) and value[k] is not None else scrub(value[k])
            for k in value
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and _CREDENTIAL_TEXT.search(value):
        return "<redacted>"
    return value


def _secret_key(key: Any) -> bool:
    name = str(key)
    return name.lower() not in _NOT_SECRET and _SECRET_KEY.match(name) is not None


class Recorder:
    """The clients one action is applied through: each raw ARM write is noted (method, path,
    API version, body) before it is sent, so the audit log holds what was sent."""

    def __init__(self, clients: RemediationClients) -> None:
        self._clients = clients
        self.sent: list[dict[str, Any]] = []

    def _note(self, method: str, resource_id: str, body: Any, api_version: str) -> None:
        self.sent.append(
            {"method": method, "path": resource_id, "api_version": api_version, "body": body}
        )

    def patch(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
        """ARM PATCH, noted."""
        self._note("PATCH", resource_id, body, api_version)
        return self._clients.patch(resource_id, body, api_version)

    def put(self, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
        """ARM PUT, noted."""
        self._note("PUT", resource_id, body, api_version)
        return self._clients.put(resource_id, body, api_version)

    def get(self, resource_id: str, api_version: str | None = None) -> dict[str, Any] | None:
        """ARM GET (not a write: not noted)."""
        return self._clients.get(resource_id, api_version)

    def warm(self) -> None:
        """As the wrapped clients."""
        self._clients.warm()

    def ml(self, subscription_id: str, resource_group: str) -> Any:
        """As the wrapped clients (SDK writes log the action's body)."""
        return self._clients.ml(subscription_id, resource_group)

    def authorization(self, subscription_id: str) -> Any:
        """As the wrapped clients."""
        return self._clients.authorization(subscription_id)

    def network(self, subscription_id: str) -> Any:
        """As the wrapped clients."""
        return self._clients.network(subscription_id)

    def close(self) -> None:
        """As the wrapped clients."""
        self._clients.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._clients, name)


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

    def record(
        self,
        action: Action,
        outcome: str,
        code: str = "",
        message: str = "",
        *,
        detail: str = "",
        sent: list[dict[str, Any]] | None = None,
    ) -> None:
        """One line for one write attempt: ``code``/``message`` describe a failure (the
        ``error``), ``detail`` a success; ``sent`` the raw writes the apply step sent."""
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
            "request": _request(action, sent or []),
            "rules": list(action.rule_ids),
            "outcome": outcome,
        }
        if sent and len(sent) > 1:
            entry["requests"] = [{**r, "body": scrub(r["body"])} for r in sent]
        if detail:
            entry["detail"] = detail
        if code or message:
            entry["error"] = {"code": code, "message": message}
        line = json.dumps(entry, sort_keys=True)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def _request(action: Action, sent: list[dict[str, Any]]) -> dict[str, Any]:
    """The request logged: the last raw write sent (the action's own call when none was)."""
    if sent:
        last = sent[-1]
        return {
            "method": last["method"],
            "path": last["path"],
            "api_version": last["api_version"],
            "sdk": action.call.sdk,
            "body": scrub(last["body"]),
        }
    return {
        "method": action.call.method,
        "path": action.call.path,
        "api_version": action.call.api_version,
        "sdk": action.call.sdk,
        "body": scrub(action.body),
    }
