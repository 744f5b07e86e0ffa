"""JSON report lines written ahead: the check's own share of the findings, rendered while the
evaluation's worker still judges its share (:mod:`amlguard.scanner.parallel`).

A finding's line in the JSON report depends only on the finding, its rule's title and
``fixable``, whether it is new (history or baseline) and its template location. The check
renders the lines of the findings it judged itself, with no new markers and no locations,
before it waits for the worker; :func:`reuse` hands them to the report only for the very same
finding objects (frozen, compared with ``is``) and the same rule facts. Anything else is
rendered as usual: a finding a suppression or baseline replaced, other rules, a history's new
markers, a template's locations, another scan's findings.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from amlguard.scanner.model import Finding

#: what separates two findings' lines in the report (a line holds no line break: strings are
#: JSON-escaped)
SEP = ",\n    "


@dataclass(frozen=True, slots=True)
class Ahead:
    """The lines of ``findings[:count]`` (``texts``: joined by :data:`SEP`, the lines of
    consecutive runs of them) and the facts they used."""

    findings: Sequence[Finding]
    count: int
    texts: tuple[str, ...]
    facts: Mapping[str, Any]

    @property
    def text(self) -> str:
        """All the lines, joined by :data:`SEP`."""
        return SEP.join(self.texts)


_ahead: Ahead | None = None


def keep(
    findings: Sequence[Finding], count: int, text: str | Sequence[str], facts: Mapping[str, Any]
) -> None:
    """Remember the lines of the first ``count`` of ``findings`` for the next report (``text``:
    their lines joined by :data:`SEP`, or the texts of consecutive runs of them, which the
    report joins so: no copy of the whole text is made here)."""
    global _ahead
    texts = (text,) if isinstance(text, str) else tuple(text)
    whole = count > 0 and bool(texts) and all(texts)
    _ahead = Ahead(findings, count, texts, dict(facts)) if whole else None


def forget() -> None:
    """Drop the lines written ahead (a scan that wrote none must not leave older ones)."""
    global _ahead
    _ahead = None


def reuse(
    findings: Sequence[Finding],
    facts: Mapping[str, Any],
    render: Callable[[Sequence[Finding]], str],
) -> tuple[int, list[str]] | None:
    """``(n, pieces)``: the lines of ``findings[:n]`` joined by :data:`SEP` (the pieces, joined,
    are that text), from what was kept where the findings are the very ones it was written for
    (``render`` writes the others: findings to lines, joined the same way); None when nothing
    kept applies."""
    ahead = _ahead
    if ahead is None or ahead.facts != facts:
        return None
    n = ahead.count
    if len(findings) < n or len(ahead.findings) < n:
        return None
    mine = findings[:n]
    theirs = ahead.findings[:n]
    if all(map(operator.is_, mine, theirs)):
        pieces = [SEP] * (2 * len(ahead.texts) - 1)
        pieces[::2] = ahead.texts
        return n, pieces
    lines = ahead.text.split(SEP)
    if len(lines) != n:  # never for lines render wrote; not a report to guess at
        return None
    if not any(map(operator.is_, mine, theirs)):
        return None
    for i, (f, g) in enumerate(zip(mine, theirs, strict=True)):
        if f is not g:  # replaced since (a suppression, a baseline): written again
            lines[i] = render([f])
    return n, [SEP.join(lines)]
