"""Endpoint URLs given by the user: what an error message may show of them, and the parts a
service URL must not carry (a password or a signed query would be printed in every report,
log and history row that names the endpoint, and sent inside the token scope)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["credential_problem", "shown"]


def shown(url: str) -> str:
    """The URL as an error message may show it: no user info, no query, clipped."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        text = url.split("?", 1)[0].split("#", 1)[0]
    else:
        rest = rest.split("?", 1)[0].split("#", 1)[0]
        netloc, slash, path = rest.partition("/")
        text = f"{scheme}://{netloc.rsplit('@', 1)[-1]}{slash}{path}"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 200 else text[:199] + "\u2026"


def credential_problem(url: str, query: str | None = None) -> str | None:
    """Why ``url`` may carry a secret (user info, a query other than ``query``'s full match, a
    fragment), or None; authentication is Entra ID's, nothing in the URL is a secret."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "not a valid URL"
    if "@" in parts.netloc:
        return "must not contain user name or password: authentication uses Entra ID"
    if parts.query and not (query and re.fullmatch(query, parts.query)):
        return (
            "must not carry a query other than api-version"
            if query
            else "must not carry a query: nothing in the URL may be a secret"
        )
    if parts.fragment:
        return "must not carry a #fragment"
    return None
