"""SARIF message text is plain text: a resource name such as ``[x](https://evil)`` must not
become an embedded link, and control characters are shown as escapes (red-team finding)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

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
