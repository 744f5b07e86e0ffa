"""Flag values that used to be read as something else (red-team findings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_USAGE
from tests.conftest import EXAMPLES

COMPLIANT = str(EXAMPLES / "compliant.json")


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_policies_path_is_refused(value: str, tmp_path: Path) -> None:
    """``--policies ''`` meant the working directory: every YAML file below it was loaded."""
    (tmp_path / "stray.yaml").write_text("not: a rule file\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", COMPLIANT, "--policies", value], catch_exceptions=False
    )
    assert result.exit_code == EXIT_USAGE
    assert "an empty path" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--batch-size", "0"], "--batch-size"),
        (["--batch-size", "5000"], "--batch-size"),
        (["--batch-size", "10"], "only apply to live scans"),
    ],
)
def test_batch_size_is_checked_and_live_only(args: list[str], says: str) -> None:
    result = CliRunner().invoke(cli, ["check", "--snapshot", COMPLIANT, *args])
    assert result.exit_code == EXIT_USAGE
    assert says in result.output
