"""Where an export goes: the ingestion URL a data collection rule's portal page shows.

``https://<endpoint>/dataCollectionRules/<immutable id>/streams/<stream name>``: the endpoint
is a Direct DCR's own ``logsIngestion`` endpoint or a data collection endpoint (DCE). Anything
else (plain http, a DCR's ARM resource id instead of its immutable id, credentials or a query
in the URL) is a usage error (exit 2) naming what is wrong, never echoing a secret.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from amlguard.errors import InputError
from amlguard.urls import credential_problem
from amlguard.urls import shown as _shown

#: Seconds all retries of one export may take.
BUDGET_S = 120.0

#: ``dcr-`` and 32 hex digits, as the portal and ``az monitor data-collection rule show`` print it.
_IMMUTABLE_ID = re.compile(r"dcr-[0-9a-f]{32}", re.I)
#: A custom stream: ``Custom-`` then the name of its declaration (letters, digits, ``_``).
_STREAM = re.compile(r"Custom-[A-Za-z][A-Za-z0-9_]{0,99}")
_HOST = re.compile(r"[a-z0-9]([a-z0-9\-.]*[a-z0-9])?|[0-9a-f:.]*:[0-9a-f:.]*")
EXPECTED = "https://<endpoint>/dataCollectionRules/<immutable id>/streams/<stream name>"


@dataclass(frozen=True, slots=True)
class LogAnalyticsTarget:
    """A parsed ingestion URL: the endpoint, the DCR's immutable id and the stream name."""

    endpoint: str  # https://host[:port], no trailing slash
    rule_id: str  # dcr-<32 hex>, lower-cased
    stream: str  # Custom-<name>

    @property
    def url(self) -> str:
        """The canonical ingestion URL (what messages and the spool name)."""
        return f"{self.endpoint}/dataCollectionRules/{self.rule_id}/streams/{self.stream}"

    @property
    def key(self) -> str:
        """A short, file-name-safe key of this target (the spool folder's name)."""
        canonical = f"{self.endpoint.lower()}|{self.rule_id.lower()}|{self.stream.lower()}"
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_target(url: str, flag: str = "--output log-analytics:") -> LogAnalyticsTarget:
    """The target of ``url``; InputError (exit 2) saying what is wrong with it."""

    def bad(why: str) -> InputError:
        return InputError(f"{flag}{_shown(url)}: {why} (expected {EXPECTED})")

    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad("not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise bad("must be an https:// URL (bearer tokens are never sent over plain http)")
    problem = credential_problem(text, r"api-version=[0-9A-Za-z\-.]+")
    if problem:
        raise bad(problem)
    host = parts.hostname or ""
    if not _HOST.fullmatch(host):
        raise bad("has no valid host name")
    segments = [unquote(s) for s in parts.path.split("/")]
    if segments and segments[-1] == "":
        segments.pop()
    if (
        len(segments) != 5
        or segments[0] != ""
        or segments[1].lower() != "datacollectionrules"
        or segments[3].lower() != "streams"
    ):
        raise bad("the path must be /dataCollectionRules/<immutable id>/streams/<stream name>")
    rule_id, stream = segments[2], segments[4]
    if not _IMMUTABLE_ID.fullmatch(rule_id):
        raise bad(
            f"{rule_id[:80]!r} is not a DCR immutable id (dcr- and 32 hex digits: the rule's "
            "'immutableId' property, not its resource name or id)"
        )
    if not _STREAM.fullmatch(stream):
        raise bad(
            f"{stream[:80]!r} is not a custom stream name (Custom-<name> from the rule's "
            "streamDeclarations)"
        )
    shown_host = f"[{host}]" if ":" in host else host
    endpoint = f"https://{shown_host}" + (f":{port}" if port is not None else "")
    return LogAnalyticsTarget(endpoint, rule_id.lower(), stream)
