"""A resource name or value of megabytes (no Azure name is longer than a few hundred
characters) is cut with a marker in every human format, so a report stays readable and its
size bounded, and Markdown still shows every workspace and finding."""

from __future__ import annotations

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.textsafe import bounded
from tests.reports.test_hostile_fuzz import _hostile

HUGE = "n" * 2_000_000


def test_every_human_format_stays_bounded() -> None:
    result = _hostile(HUGE, "message " + HUGE)
    options = ReportOptions(width=100)
    for fmt in ("console", "junit", "html"):
        text = app.render(result, fmt, options)
        assert len(text) < 3_000_000, (fmt, len(text))
        assert "characters]" in text, fmt
    # a huge name alone leaves Markdown (whose budget is GitHub's 65,000 characters) room
    md = app.render(_hostile(HUGE, "message"), "markdown", options)
    assert "stops after 0 of" not in md and "characters]" in md


def test_bounded_cuts_only_what_is_longer_and_says_how_much() -> None:
    assert bounded("abc", 3) == "abc"
    assert bounded("abcdef", 3) == "abc…[+3 characters]"
