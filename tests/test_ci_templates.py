"""Templates in CI (issue 15, "CI"): the pull-request jobs of the recipes, the pre-commit hook
manifest and the hook's entry point, checked offline."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_OK, EXIT_USAGE
from tests.conftest import ROOT
from tests.test_ci_recipes import CI, _amlguard_commands

HOOKS = ROOT / ".pre-commit-hooks.yaml"
BLUEPRINT = ROOT / "tests" / "iac" / "data" / "own" / "blueprint"

# pre-commit's manifest keys (https://pre-commit.com/#new-hooks): required, then optional
REQUIRED = {"id", "name", "entry", "language"}
OPTIONAL = {
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "always_run",
    "fail_fast",
    "verbose",
    "pass_filenames",
    "require_serial",
    "description",
    "language_version",
    "minimum_pre_commit_version",
    "args",
    "stages",
}


def _hooks() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return {h["id"]: h for h in data}


def test_hooks_manifest_is_valid_for_pre_commit() -> None:
    for hook in _hooks().values():
        assert set(hook) >= REQUIRED, hook
        assert set(hook) <= REQUIRED | OPTIONAL, set(hook) - REQUIRED - OPTIONAL
        assert hook["language"] == "python"
        re.compile(hook.get("files", ""))
        argv = shlex.split(hook["entry"])
        assert argv[0] == "amlguard"
        # the entry names a real command: its --help runs
        done = CliRunner().invoke(cli, [*argv[1:], "--help"])
        assert done.exit_code == 0, done.output


def test_template_hook_matches_templates_and_runs_serially() -> None:
    hook = _hooks()["amlguard-template"]
    files = re.compile(hook["files"])
    for name in ("infra/main.bicep", "infra/main.bicepparam", "infra/azuredeploy.json"):
        assert files.search(name), name
    assert not files.search("infra/README.md")
    assert hook.get("pass_filenames", True) is True
    assert hook["require_serial"] is True  # a parameter file and its template in one run


def _hook(*args: str) -> Any:
    return CliRunner().invoke(cli, ["template", "hook", *args])


def test_hook_leaves_other_json_out_and_says_so(tmp_path: Path) -> None:
    other = tmp_path / "package.json"
    other.write_text('{"name": "x"}')
    done = _hook(str(other))
    assert done.exit_code == EXIT_OK, done.output
    assert f"{other}: not an ARM template or parameter file" in done.stderr
    assert "no template among the changed files" in done.stderr
    # JSON that cannot be read may be a deployment file: never a pass (redteam10b #4)
    notes = tmp_path / "notes.json"
    notes.write_text("not json at all {")
    done = _hook(str(other), str(notes))
    assert done.exit_code == 2, done.output
    assert f"{notes}: may be a deployment file but cannot be read as JSON (1:1:" in done.stderr


def test_hook_checks_the_template_of_a_changed_parameter_file(tmp_path: Path) -> None:
    other = tmp_path / "package.json"
    other.write_text("{}")
    done = _hook(
        "-f",
        "json",
        "--deployment-location",
        "westeurope",
        str(BLUEPRINT / "azuredeploy.parameters.json"),
        str(other),
    )
    assert done.exit_code == EXIT_OK, done.output
    doc = json.loads(done.stdout)
    assert doc["source"]["kind"] == "template"
    assert doc["source"]["description"].endswith("azuredeploy.json")
    assert doc["summary"]["by_status"]["pass"] > 0
    assert "Not-A-Real-Passw0rd" not in done.output  # the secure parameter is never echoed


def test_hook_passes_check_options_and_fails_on_findings(tmp_path: Path) -> None:
    done = _hook(
        "--parameter",
        "workspacePublicNetworkAccess=Enabled",
        "--deployment-location",
        "westeurope",
        str(BLUEPRINT / "azuredeploy.json"),
    )
    assert done.exit_code == 1, done.output
    assert "AMLG-101" in done.stdout


def test_hook_refuses_fix() -> None:
    done = _hook("--fix", str(BLUEPRINT / "azuredeploy.json"))
    assert done.exit_code == EXIT_USAGE


@pytest.mark.parametrize("recipe", ["github-actions.yml", "azure-pipelines.yml"])
def test_recipe_has_a_pull_request_job_that_checks_templates(recipe: str) -> None:
    doc = yaml.safe_load((CI / recipe).read_text(encoding="utf-8"))
    jobs = doc["jobs"]
    job = (
        jobs["templates"]
        if isinstance(jobs, dict)
        else next(j for j in jobs if j.get("job") == "templates")
    )
    when = job.get("if") or job.get("condition")
    assert "pull_request" in when or "PullRequest" in when
    text = yaml.safe_dump(job)
    commands = [c for c in _amlguard_commands(CI / recipe) if "--template" in c]
    assert commands, f"{recipe}: no 'amlguard check --template'"
    sarif = [
        c[i + 1]
        for c in commands
        for i, a in enumerate(c)
        if a == "--output" and "sarif:" in c[i + 1]
    ]
    assert sarif
    if recipe.startswith("github"):
        assert "github/codeql-action/upload-sarif@" in text
        assert any(s.split(":", 1)[1] in text for s in sarif)
    else:
        assert "CodeAnalysisLogs" in text  # the artifact the SARIF scans tab reads


_PINNED = re.compile(r"amlguard(\[[\w,]+\])?\s*(@\s*git\+\S+@[\w.\-]+|==\s*[\w.]+)")


def test_recipes_install_a_pinned_amlguard() -> None:
    found = 0
    for path in sorted(CI.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "pip install" in line and "amlguard" in line:
                found += 1
                assert _PINNED.search(line), f"{path.name}: unpinned install: {line.strip()}"
    assert found >= 2
