"""Neutralising data we did not write (names, tags, ids, messages built from them) per medium.

Resource data is hostile: a name can carry terminal escape sequences, Markdown links, images,
``@mentions``, raw HTML or a newline plus a code fence. Every human format passes such text
through one of these functions; HTML, JUnit and SARIF escape through their own serialisers.
"""

from __future__ import annotations

import re
from typing import Any

from amlguard.textsafe import LINE_LIMIT, TEXT_LIMIT, UNSAFE, bounded, escape_char

# Unsafe characters except line feed and tab (for text whose line breaks we wrote), and all.
_CONTROL = re.compile(UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f"))
_CONTROL_OR_BREAK = UNSAFE
_visible = escape_char


def terminal(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``, ``\\n``).

    ``keep_newlines`` keeps line feeds and tabs (for text whose line breaks we wrote).
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_OR_BREAK
    return bounded(pattern.sub(_visible, str(text)), TEXT_LIMIT if keep_newlines else LINE_LIMIT)


# Characters that start Markdown or HTML syntax in inline text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#!|~])")
_ZWSP = "&#8203;"


def markdown(text: Any) -> str:
    """Inline Markdown showing ``text`` literally: no link, image, mention, HTML or line break."""
    out = terminal(text)
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MD_SPECIAL.sub(r"\\\1", out)
    # GitHub links @user, #123-style refs in prose, and bare URLs; a zero-width space breaks each.
    out = out.replace("@", "@" + _ZWSP).replace("://", ":" + _ZWSP + "//")
    return re.sub(r"(?i)\bwww\.", "www" + _ZWSP + ".", out)


def code_span(text: Any) -> str:
    """A Markdown code span holding ``text`` on one line (nothing inside it is interpreted)."""
    body = terminal(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def code_block(lines: list[str], info: str = "sh") -> list[str]:
    """A fenced block that no line of ``lines`` can close (the fence outgrows any backtick run)."""
    clean = [terminal(line) for line in lines]
    longest = max(
        (len(run) for line in clean for run in re.findall(r"`{3,}|~{3,}", line)), default=0
    )
    fence = "`" * max(3, longest + 1)
    return [fence + info, *clean, fence]
