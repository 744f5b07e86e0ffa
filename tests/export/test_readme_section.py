"""The README's fleet-store section: its queries use real columns, its URLs and config parse."""

from __future__ import annotations

import re

import yaml

from amlguard.export import parse_target
from amlguard.export.rows import COLUMNS
from tests.export.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = re.search(r"^## Fleet store: Azure Monitor Logs\n(.*?)(?=^## )", README, re.M | re.S)
# Names the queries define themselves (let, extend, summarize aliases) and KQL words.
ALIASES = {
    "Workspace",
    "Key",
    "Scanned",
    "Complete",
    "Failing",
    "Errors",
    "Passing",
    "FirstFailed",
    "AmlGuardFindings_CL",
}


def _section() -> str:
    assert SECTION is not None
    return SECTION.group(1)


def test_the_section_comes_right_before_benchmarks() -> None:
    assert re.search(
        r"^## Fleet store: Azure Monitor Logs\n.*?^## Benchmarks\n", README, re.M | re.S
    )
    nxt = README.split("## Fleet store: Azure Monitor Logs\n", 1)[1]
    assert re.search(r"^## ", nxt, re.M).start() == nxt.index("## Benchmarks")  # type: ignore[union-attr]


def test_three_queries_that_use_only_real_columns() -> None:
    queries = re.findall(r"```kql\n(.*?)```", _section(), re.S)
    assert len(queries) == 3
    for query in queries:
        assert "AmlGuardFindings_CL" in query
        for name in re.findall(r"\b[A-Z][A-Za-z_]+\b", query):
            assert name in COLUMNS or name in ALIASES, name


def test_urls_parse_and_the_config_line_fits_the_config_schema() -> None:
    urls = re.findall(r"https://[^\s\"']+/streams/Custom-\w+", _section())
    assert len(urls) >= 3
    for url in urls:
        assert parse_target(url).stream == "Custom-AmlGuardFindings"
    (config,) = re.findall(r"```yaml\n(.*?)```", _section(), re.S)
    outputs = yaml.safe_load(config)["output"]["outputs"]
    assert any(o.startswith("log-analytics:https://") for o in outputs)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+:.+", o) for o in outputs)


def test_the_setup_files_named_exist() -> None:
    for name in ("main.bicep", "azuredeploy.json", "workbook.json"):
        assert name in _section()
        assert (ROOT / "examples" / "log-analytics" / name).is_file()
