"""The CI recipes in examples/ci: valid for their platform, and calling amlguard correctly."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from amlguard.cli import check
from amlguard.config import check_against_pack, load_config
from amlguard.reports import registry
from amlguard.scanner.rules import load_pack
from tests.conftest import ROOT

CI = ROOT / "examples" / "ci"
RECIPES = {
    "github-actions.yml": "vendor.github-workflows",
    "azure-pipelines.yml": "vendor.azure-pipelines",
    "gitlab-ci.yml": "vendor.gitlab-ci",
}
# The GitLab and Azure Pipelines schemas hold regex escapes that the default (unicode-mode
# ECMAScript) engine rejects, depending on which branch it reaches first.
CHECK = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "nonunicode"]


# Scope flags of the live scan, built on another branch; everything else must exist here.
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_validates_against_its_published_schema(recipe: str) -> None:
    # The vendored schemas ship inside check-jsonschema: no network.
    cmd = [*CHECK, "--builtin-schema", RECIPES[recipe], str(CI / recipe)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_recipe_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "workflow.yml"
    text = (CI / "github-actions.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on:", "runs_on:"), encoding="utf-8")
    cmd = [*CHECK, "--builtin-schema", "vendor.github-workflows"]
    done = subprocess.run(
        [*cmd, str(broken)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _amlguard_commands(path: Path) -> list[list[str]]:
    """Every ``amlguard check`` command line in the recipe's scripts, split like a shell."""
    commands = []
    for script in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
        for line in script.replace("\\\n", " ").splitlines():
            if line.strip().startswith("amlguard check"):
                commands.append(shlex.split(line))
    return commands


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_writes_junit_sarif_and_markdown_with_known_flags(recipe: str) -> None:
    commands = _amlguard_commands(CI / recipe)
    assert commands, f"{recipe} never runs 'amlguard check'"
    known = {opt for p in check.params for opt in p.opts}
    for argv in commands:
        flags = {a for a in argv if a.startswith("--")}
        assert flags <= known, flags - known
        outputs = [argv[i + 1] for i, a in enumerate(argv) if a == "--output"]
        formats = {o.split(":", 1)[0] for o in outputs}
        assert {"junit", "sarif", "markdown"} <= formats
        assert formats <= set(registry.formats())
        assert all(":" in o for o in outputs)


def test_github_recipe_uses_oidc_sarif_upload_junit_and_step_summary() -> None:
    text = (CI / "github-actions.yml").read_text(encoding="utf-8")
    for needle in (
        "id-token: write",
        "azure/login@",
        "github/codeql-action/upload-sarif@",
        "security-events: write",
        "GITHUB_STEP_SUMMARY",
        "action-junit-report@",
    ):
        assert needle in text


def test_azure_devops_recipe_uses_azure_cli_and_publishes_junit() -> None:
    text = (CI / "azure-pipelines.yml").read_text(encoding="utf-8")
    assert "task: AzureCLI@2" in text and "task: PublishTestResults@2" in text
    assert "testResultsFormat: JUnit" in text


def test_gitlab_recipe_reports_junit() -> None:
    text = (CI / "gitlab-ci.yml").read_text(encoding="utf-8")
    assert "junit: reports/amlguard.xml" in text and "id_tokens:" in text


def test_example_config_is_valid_against_the_rule_pack() -> None:
    config = load_config(CI / "amlguard.yaml")
    check_against_pack(config, load_pack([]))
    assert config.suppressions and config.fail_on == "high"
