"""Every format renders any resource name, tag or message: no crash, valid output, no escapes
in the terminal formats (deterministic, bounded fuzzing)."""

from __future__ import annotations

import dataclasses
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlguard import app
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import ScanResult
from amlguard.textsafe import UNSAFE_IN_LINES
from tests.reports.conftest import scan

_BASE = scan("multi-workspace.json")
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates are refused at load
    max_size=40,
)


def _hostile(name: str, message: str) -> ScanResult:
    result = dataclasses.replace(_BASE)
    inst = result.instances[0]
    result.instances = [
        dataclasses.replace(inst, workspace={**inst.workspace, "name": name}),
        *result.instances[1:],
    ]
    result.findings = [
        dataclasses.replace(f, message=message or "m", remediation=f"fix {message}\naz x {name}")
        for f in _BASE.findings
    ]
    return result


@settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_TEXT, _TEXT)
def test_every_format_renders_hostile_text(name: str, message: str) -> None:
    result = _hostile(name, message)
    options = ReportOptions(width=100)
    for fmt in ("console", "markdown", "html", "json", "sarif", "junit"):
        text = app.render(result, fmt, options)
        text.encode("utf-8")
        if fmt in ("json", "sarif"):
            json.loads(text)
        if fmt in ("console", "markdown"):
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), fmt
        if fmt in ("html", "junit"):
            # a page or a CI test tab shows names as they are: no control, bidi override or
            # line separator may reach it as the character itself
            assert not UNSAFE_IN_LINES.search(text.replace("\t", "")), fmt


def test_html_and_junit_show_controls_and_bidi_overrides_as_escapes() -> None:
    name = "evil\x00\x01\x1b[31m\x7f\x85\u2028\u202e<b>x\ufffe"
    result = _hostile(name, "msg \u202e" + name)
    for fmt in ("html", "junit"):
        text = app.render(result, fmt, ReportOptions(width=100))
        assert not UNSAFE_IN_LINES.search(text.replace("\t", "")), fmt
        assert "\\u202e" in text and "\\x1b[31m" in text, fmt
    assert "\ufffe" not in app.render(result, "junit", ReportOptions(width=100))
