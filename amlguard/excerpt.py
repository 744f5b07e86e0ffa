"""Short, secret-safe excerpts of user data for error messages.

A mistaken ``--config`` or ``--policies`` path may point at a token file; the error must not
print it. Every excerpt is one line of at most :data:`LIMIT` characters, with control
characters escaped, and anything that looks like a secret (a JWT, a long run of base64 or hex,
a ``key=value`` credential) replaced by ``<redacted>``.
"""

from __future__ import annotations

import re
from typing import Any

#: The most characters an excerpt of user data may have.
LIMIT = 60

_SECRET = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?"  # a JWT
    r"|(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{32,}={0,2}"  # long base64 / base64url
    r"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}"  # long hex
    r"|(?i:(?:password|secret|token|sig|key|accountkey|sharedaccesskey)\s*[=:]\s*)[^\s;&,'\"]+"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


#: an Azure resource id: long runs of letters, digits, '-' and '/' that are not secrets
_RESOURCE_ID = re.compile(r"(?i)/subscriptions/[a-z0-9-]+(?:/[a-z0-9._()-]+)*")


_RANDOM = re.compile(r"(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9]{32,}")


def _id_segment(segment: str) -> str:
    """A segment of an id, unless it is a long random-looking run (a key pasted as a name)."""
    return "<redacted>" if _RANDOM.fullmatch(segment) else segment


def redact(text: str) -> str:
    """``text`` with every secret-looking run replaced by ``<redacted>``; resource ids stay
    readable (an error naming '<redacted>' names nothing)."""
    if "/subscriptions/" not in text.lower():
        return _SECRET.sub("<redacted>", text)
    out, last = [], 0
    for m in _RESOURCE_ID.finditer(text):
        out.append(_SECRET.sub("<redacted>", text[last : m.start()]))
        out.append("/".join(_id_segment(seg) for seg in m.group().split("/")))
        last = m.end()
    out.append(_SECRET.sub("<redacted>", text[last:]))
    return "".join(out)


def looks_secret(text: str) -> bool:
    """Whether ``text`` holds something that looks like a credential."""
    return _SECRET.search(text) is not None


def excerpt(value: Any, limit: int = LIMIT) -> str:
    """A one-line, redacted, bounded excerpt of ``value`` (strings shown without quotes)."""
    text = value if isinstance(value, str) else _repr(value)
    text = redact(text[: limit * 8])  # enough to see a secret whole, never the whole file
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else "?", text)
    if len(text) > limit:
        if _RESOURCE_ID.fullmatch(text):  # an id's end names the resource; its start does not
            return "..." + text[-(limit - 3) :]
        text = text[: limit - 3] + "..."
    return text


def _repr(value: Any) -> str:
    try:
        return repr(value)[:4096]
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"


def quoted(value: Any, limit: int = LIMIT) -> str:
    """:func:`excerpt` in single quotes, for messages such as ``found 'abc'``."""
    return "'" + excerpt(value, limit - 2) + "'"
