"""Logging for the CLI: ``--log-level``, on stderr, and no line ever carries a token."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

LEVELS = ("error", "warning", "info", "debug")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_.~+/=]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*")


class RedactTokens(logging.Filter):
    """Blanks bearer tokens, JWTs and the ``AMLGUARD_ACCESS_TOKEN`` value in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (tests and click swap it between runs)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def redact(text: str) -> str:
    """``text`` with anything token-like replaced by ``<redacted>``."""
    secret = os.environ.get("AMLGUARD_ACCESS_TOKEN", "").strip()
    if secret:
        text = text.replace(secret, "<redacted>")
    text = _BEARER.sub(r"\1<redacted>", text)
    return _JWT.sub("<redacted>", text)


def configure(level: str) -> None:
    """Send amlguard's log records (and azure-core's at debug) to stderr, redacted."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("amlguard %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    chosen = getattr(logging, level.upper(), logging.WARNING)
    for name in ("amlguard", "azure", "urllib3"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        # The Azure SDKs are noisy (azure-identity logs each failed credential as a warning,
        # which amlguard reports itself); they only speak at debug.
        logger.setLevel(chosen if name == "amlguard" or chosen <= logging.DEBUG else logging.ERROR)
