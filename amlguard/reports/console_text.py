"""Plain-text helpers of the console report (no rich): values, names, widths and its options."""

from __future__ import annotations

import json
import shutil
from typing import Any

from amlguard.reports.interface import ReportOptions
from amlguard.reports.safe import terminal as _t
from amlguard.reports.text import short_if_id, short_name, value_text
from amlguard.scanner import ids
from amlguard.scanner.model import Finding

_FRIENDLY_TYPES = {
    "microsoft.machinelearningservices/workspaces": "workspace",
    "microsoft.storage/storageaccounts": "storage account",
    "microsoft.keyvault/vaults": "key vault",
    "microsoft.containerregistry/registries": "container registry",
    "microsoft.insights/components": "application insights",
    "microsoft.cognitiveservices/accounts": "AI account",
    "microsoft.network/privatednszones": "private DNS zone",
    "microsoft.network/virtualnetworks": "virtual network",
    "microsoft.network/privateendpoints": "private endpoint",
    "microsoft.network/networkinterfaces": "network interface",
}
_MAX_LISTED = 8
_MIN_WIDTH, _MAX_WIDTH = 60, 120


def friendly_type(rtype: str) -> str:
    """A resource type as a person names it ("storage account")."""
    return _FRIENDLY_TYPES.get(rtype.lower(), rtype.rsplit("/", 1)[-1] or "resource")


def value(item: Any) -> str:
    """A value as a person reads it at a glance: ids shortened, long lists cut, dicts as JSON."""
    if isinstance(item, list):
        if not item:
            return "none"
        shown = [short_if_id(v) if isinstance(v, str) else value(v) for v in item]
        extra = len(shown) - _MAX_LISTED
        return _t(", ".join(shown[:_MAX_LISTED]) + (f" and {extra} more" if extra > 0 else ""))
    if isinstance(item, dict):
        return _t(json.dumps(item, sort_keys=True, default=str))
    return _t(value_text(item))


def compact(options: ReportOptions) -> bool:
    """``--compact``: the overview and one line per failing finding."""
    return bool(options.compact or options.extra.get("compact"))


def failed_only(options: ReportOptions) -> bool:
    """``--failed-only``: only workspaces with failing (or unjudged) findings."""
    return bool(options.failed_only or options.extra.get("failed_only"))


def short_sub(subscription: str) -> str:
    """A subscription GUID's first block ("8f1c2a6e"), enough to tell a fleet's apart."""
    head = subscription.split("-", 1)[0]
    return head if len(head) == 8 and len(subscription) == 36 else subscription


def resource_suffix(f: Finding, inst: Any) -> str:
    """``/name`` of the judged resource when it is not the workspace itself."""
    return "" if ids.norm(f.resource_id) == ids.norm(inst.id) else "/" + short_name(f.resource_id)


def default_width() -> int:
    """The report's width: the terminal's, 60-120 columns."""
    # Piped output has no terminal: fall back to 100 columns (COLUMNS still wins if set).
    columns = shutil.get_terminal_size(fallback=(100, 24)).columns
    return max(_MIN_WIDTH, min(_MAX_WIDTH, columns))
