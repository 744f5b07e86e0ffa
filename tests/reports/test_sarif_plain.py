"""SARIF message text is plain text: a resource name such as ``[x](https://evil)`` must not
become an embedded link, and control characters are shown as escapes (red-team finding)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from tests.conftest import EXAMPLES


def test_hostile_names_are_plain_in_sarif_messages(tmp_path: Path) -> None:
    doc = json.loads((EXAMPLES / "drifted.json").read_text("utf-8"))
    for row in doc["data"]:
        if str(row.get("type")).lower() == "microsoft.machinelearningservices/workspaces":
            row["name"] = "ws[x](https://evil.example)\x1b[2J\u202e"
    snap = tmp_path / "evil.json"
    snap.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "-f", "sarif"])
    sarif = json.loads(result.stdout)
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    texts += [
        n["message"]["text"]
        for inv in sarif["runs"][0]["invocations"]
        for n in inv.get("toolExecutionNotifications", [])
    ]
    hostile = [t for t in texts if "evil.example" in t]
    assert hostile
    for text in hostile:
        assert not re.search(r"(?<!\\)\[", text), text  # every bracket escaped
        assert "\x1b" not in text and "\u202e" not in text


HOSTILE = "x\x07\u202e\r\n\u2028\x1b[2JFAKE"


def test_hostile_ids_are_neutralised_in_sarif_locations_and_properties() -> None:
    """GitHub shows a result's logical location as the alert's place: the resource id there is
    data too (redteam6 item 13), like the instance and suppression justification."""
    import dataclasses
    import datetime as dt

    from amlguard import app
    from amlguard.suppressions import Suppression, apply_suppressions
    from tests.reports.conftest import options, scan

    result = scan("drifted.json")
    result.findings = [
        dataclasses.replace(f, resource_id=f.resource_id + HOSTILE, instance=f.instance + HOSTILE)
        for f in result.findings
    ]
    rule = Suppression("AMLG-222", "*", "vendor" + HOSTILE, dt.date(2026, 3, 1))
    result.findings = apply_suppressions(result.findings, [rule], dt.date(2026, 1, 1)).findings
    sarif = json.loads(app.render(result, "sarif", options(EXAMPLES / "drifted.json")))
    results = sarif["runs"][0]["results"]
    texts = [
        text
        for r in results
        for place in r["locations"]
        for loc in place.get("logicalLocations", [])
        for text in (loc["name"], loc["fullyQualifiedName"])
    ]
    texts += [r["properties"]["instance"] for r in results]
    texts += [s["justification"] for r in results for s in r.get("suppressions", [])]
    assert texts and all("FAKE" in t or "vendor" in t for t in texts)
    for text in texts:
        assert not re.search("[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e]", text), repr(text)


_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@settings(derandomize=True, max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=40))
def test_a_custom_rule_s_texts_are_neutralised_in_its_descriptor(text: str) -> None:
    """A custom rule file is data we did not write (often contributed by a pull request): its
    title, description, rationale and remediation reach GitHub's alert UI through the rule
    descriptor, so they are shown with their controls made visible (redteam10b #8)."""
    import dataclasses

    from amlguard.reports.sarif import descriptor
    from tests.reports.conftest import scan

    rule = scan("drifted.json").rules[0]
    hostile = f"T\u202eevil\u2028{text}\x1b[2J\x07"
    rule = dataclasses.replace(
        rule,
        name=rule.name + hostile,
        title=hostile,
        description=hostile,
        rationale=hostile,
        remediation=dataclasses.replace(rule.remediation, summary=hostile, manual=hostile),
    )
    out = descriptor(rule)
    for value in _strings(out):
        assert not _RAW.search(value), (value, out)
    assert "evil" in out["shortDescription"]["text"]
