"""Start-up stays lean: what 'check --format json' does not need, it does not import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from tests.conftest import ROOT
from tests.probe import probe

# Never needed by a snapshot check once the parse cache is warm (yaml, hashlib), nor by a
# snapshot check at all (Azure, logging), nor the modules of the other commands.
NOT_ON_THE_WARM_PATH = (
    "yaml",
    "hashlib",
    "jsonschema",
    "logging",
    "azure.identity",
    "azure.core",
    "amlguard.azure.clients",
    "amlguard.suppressions",
    "amlguard.cli.baseline",
    "amlguard.cli.history",
    "amlguard.cli.policies",
    "amlguard.cli.remediation",
    "amlguard.cli.snapshot",
)


def _check_modules(
    cache_home: Path, fmt: str = "json", more: tuple[str, ...] = ()
) -> tuple[int, set[str]]:
    return probe(
        ["check", "--snapshot", "examples/estates/compliant.json", "--format", fmt, *more],
        env={"XDG_CACHE_HOME": str(cache_home), "AMLGUARD_NO_CACHE": None},
    )


def _interpreter_modules() -> set[str]:
    """What a bare interpreter loads in this environment (site hooks may load a few)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return set(json.loads(out.stdout))


def _settle_shipped_files() -> None:
    """Files modified in the last two seconds are never cached: wait out a fresh checkout."""
    newest = max(p.stat().st_mtime_ns for p in (ROOT / "amlguard" / "policies").rglob("*"))
    wait = newest + 2_100_000_000 - time.time_ns()
    if wait > 0:
        time.sleep(wait / 1e9)


def _unwanted(modules: set[str]) -> list[str]:
    added = modules - _interpreter_modules()
    return sorted(
        m for m in added if any(m == u or m.startswith(u + ".") for u in NOT_ON_THE_WARM_PATH)
    )


def test_a_warm_snapshot_check_parses_no_yaml_and_loads_nothing_it_does_not_use(
    tmp_path: Path,
) -> None:
    _settle_shipped_files()
    code, cold = _check_modules(tmp_path)
    assert code == 0
    assert "yaml" in cold and "hashlib" in cold  # the first run parses and hashes the pack
    code, warm = _check_modules(tmp_path)
    assert code == 0
    assert _unwanted(warm) == []
    assert "amlguard.cli.check" in warm


def test_a_config_file_is_cached_too(tmp_path: Path) -> None:
    _settle_shipped_files()
    config = tmp_path / "amlguard.yaml"
    config.write_text("version: 1\nrules:\n  exclude: [AMLG-108]\n", encoding="utf-8")
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(config, ns=(an_hour_ago, an_hour_ago))
    more = ("--config", str(config))
    assert _check_modules(tmp_path / "cache", more=more)[0] == 0
    code, warm = _check_modules(tmp_path / "cache", more=more)
    assert code == 0
    assert _unwanted(warm) == []


def test_without_the_cache_the_pack_is_parsed_every_time(tmp_path: Path) -> None:
    # Guards the test above: the probe sees yaml whenever the pack is really parsed.
    for _ in range(2):
        code, modules = probe(
            ["check", "--snapshot", "examples/estates/compliant.json", "--format", "json"],
            env={"XDG_CACHE_HOME": str(tmp_path), "AMLGUARD_NO_CACHE": "1"},
        )
        assert code == 0
        assert "yaml" in _unwanted(modules)


@pytest.mark.parametrize(
    "name", ["apply", "baseline", "check", "diff", "history", "policies", "snapshot"]
)
def test_every_command_is_listed_and_loads_when_used(name: str) -> None:
    from click.testing import CliRunner

    import amlguard.cli as package
    from amlguard.cli import cli

    listing = CliRunner().invoke(cli, ["--help"]).stdout
    assert f"\n  {name} " in listing
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage: " in result.stdout
    attribute = {"apply": "apply_cmd", "diff": "diff_command", "history": "history_group"}
    command = getattr(package, attribute.get(name, name))  # the command, not its module
    assert isinstance(command, click.Command)
    assert cli.get_command(click.Context(cli), name) is command


def test_a_json_check_imports_neither_rich_nor_a_second_time_jsonschema(tmp_path: Path) -> None:
    code, modules = _check_modules(tmp_path)
    assert code == 0
    assert "jsonschema" in modules  # the first run validates the rule pack
    assert "rich" not in modules  # only the console report needs rich
    code, modules = _check_modules(tmp_path)
    assert code == 0
    assert "jsonschema" not in modules  # the pass was remembered
    assert "rich" not in modules


def test_the_console_report_still_loads_rich(tmp_path: Path) -> None:
    # Guards the test above: the probe sees rich when the console report renders.
    code, modules = _check_modules(tmp_path, "console")
    assert code == 0
    assert "rich" in modules


def test_an_in_process_check_gives_the_garbage_collector_back() -> None:
    # check switches the cyclic GC off for its own run; a caller in the same process (a test,
    # a notebook) must get it back, whatever the exit.
    import gc

    from click.testing import CliRunner

    from amlguard.cli import cli

    assert gc.isenabled()
    for args in (
        ["check", "--snapshot", str(ROOT / "examples/estates/drifted.json"), "--format", "json"],
        ["check", "--snapshot", str(ROOT / "no-such-file.json")],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (1, 2)
        assert gc.isenabled()


def test_the_entry_point_exits_without_switching_the_collector_back_on() -> None:
    # Switching it on between the output and os._exit only starts one collection over all the
    # scan built (~18 ms at 1,000 instances) right before the process ends.
    script = (
        "import gc, os, sys\n"
        "real_exit = os._exit\n"
        "def _exit(code):\n"
        "    from amlguard.scanner import scan\n"
        "    sys.stderr.write(f'\\nGC-ENABLED {gc.isenabled()}\\n')\n"
        "    sys.stderr.write(f'KEPT {len(scan._kept or ())}\\n')\n"
        "    sys.stderr.flush()\n"
        "    real_exit(code)\n"
        "os._exit = _exit\n"
        "sys.argv = ['amlguard', 'check', '--snapshot', 'examples/estates/drifted.json',"
        " '--format', 'json']\n"
        "from amlguard.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]
    assert "GC-ENABLED False" in proc.stderr.splitlines()
    # Nor does it free the scan's rows, inventory and engine one by one before that exit.
    assert "KEPT 1" in proc.stderr.splitlines()


def test_an_in_process_check_keeps_nothing_alive() -> None:
    from click.testing import CliRunner

    from amlguard.cli import cli
    from amlguard.scanner import scan

    drifted = str(ROOT / "examples/estates/drifted.json")
    result = CliRunner().invoke(cli, ["check", "--snapshot", drifted, "--format", "json"])
    assert result.exit_code == 1
    assert scan._kept is None  # only the process entry point keeps scans until os._exit


def test_a_report_reaches_a_pipe_as_click_would_write_it() -> None:
    # echo_report skips click's ANSI-stripping pass only when it could not change the text.
    from click.testing import CliRunner

    from amlguard.cli.terminal import echo_report

    @click.command()
    @click.argument("text")
    def show(text: str) -> None:
        echo_report(text)

    runner = CliRunner()  # its stdout is no terminal, like a pipe
    for text in ('{"a": "ü\\\\u001b"}\n', "plain", ""):
        assert runner.invoke(show, [text]).stdout == text
    assert runner.invoke(show, ["\x1b[31mred\x1b[0m text"]).stdout == "red text"
    assert runner.invoke(show, ["\x1b[31mred\x1b[0m"], color=True).stdout == "\x1b[31mred\x1b[0m"
