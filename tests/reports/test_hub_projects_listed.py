"""Every human report lists a hub's projects under it (issue 12 point 1): console, Markdown,
HTML and JSON; a hostile project name is shown, never interpreted."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.builders import foundry_hub


@pytest.mark.parametrize("fmt", ["console", "markdown", "html", "json"])
def test_hub_projects_are_listed(fmt: str, tmp_path) -> None:
    hub = foundry_hub()
    hub.projects[1]["name"] = "proj\x1b[31m*evil*"
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(hub.rows()), encoding="utf-8")
    out = CliRunner().invoke(cli, ["check", "--snapshot", str(path), "-f", fmt, "--color", "never"])
    assert out.exit_code == 0, out.output
    assert "foundry-proj1" in out.stdout
    assert "\x1b[31m" not in out.stdout
    if fmt == "console":
        assert "projects foundry-proj1 (ai-foundry-hub)" in out.stdout
    if fmt == "markdown":
        assert "(projects: foundry-proj1 (ai-foundry-hub), proj" in out.stdout
        assert "*evil*" not in out.stdout  # emphasis escaped
