"""Start-up stays lean: what 'check --format json' does not need, it does not import."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.probe import probe


def _check_modules(cache_home: Path, fmt: str = "json") -> tuple[int, set[str]]:
    return probe(
        ["check", "--snapshot", "examples/estates/compliant.json", "--format", fmt],
        env={"XDG_CACHE_HOME": str(cache_home), "AMLGUARD_NO_CACHE": None},
    )


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
