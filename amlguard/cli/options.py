"""The option groups commands share, help grouped by area, and flags turned into settings.

Every flag is declared once here with the area it belongs to (scan, output, gate, history, fix,
live); a command lists the areas it takes. :func:`settings_from` turns the parsed flags, their
sources (command line, environment, default) and the config file into one
:class:`~amlguard.settings.CheckSettings` (:mod:`amlguard.cli.resolution`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

SEVERITIES = ["critical", "high", "medium", "low", "info"]
AREAS = ("scan", "output", "gate", "history", "fix", "live")
_TITLES = {
    "scan": "Scan: what to read and which rules run",
    "output": "Output: reports and where they go",
    "gate": "Gate: what makes the exit code non-zero",
    "history": "History: record scans and compare",
    "fix": "Fix: plan, confirm, apply and verify repairs",
    "live": "Live: how to reach Azure and what to read",
}


class GroupedOption(click.Option):
    """An option that knows the help area it is listed under."""

    def __init__(self, *args: Any, area: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area = area


class GroupedCommand(click.Command):
    """A command whose ``--help`` lists its options by area (scan, output, gate, ...)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        by_area: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                by_area.setdefault(getattr(param, "area", "") or "", []).append(record)
        for area in ("", *AREAS):
            if by_area.get(area):
                with formatter.section(_TITLES.get(area, "Options")):
                    formatter.write_dl(by_area[area])


class NonEmptyPath(click.Path):
    """A path that is not the empty string: ``--policies ''`` would mean the working directory
    (and load every YAML file below it)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path: name a file or directory", param, ctx)
        return super().convert(value, param, ctx)


def option(*decls: str, area: str, **kwargs: Any) -> Callable[[Any], Any]:
    """``click.option`` with its help area."""
    return click.option(*decls, cls=GroupedOption, area=area, **kwargs)


def _decorate(func: Any, options: list[Any]) -> Any:
    for opt in reversed(options):
        func = opt(func)
    return func


def policies_option(dest: str = "policies", area: str = "scan") -> Any:
    """``--policies PATH`` (repeatable): the user's rule files, for every command that loads rules."""
    return option(
        "--policies",
        dest,
        area=area,
        multiple=True,
        type=NonEmptyPath(path_type=Path),
        help="Also load the rule files in this directory or file (repeatable).",
    )


def config_option(help_text: str = "") -> Any:
    """``--config FILE``: the config file (default: amlguard.yaml in the working directory)."""
    return option(
        "--config",
        "config_path",
        area="scan",
        type=click.Path(path_type=Path),
        help=help_text or "Config file (default: amlguard.yaml in the working directory, if any).",
    )


def selection_options(func: Any) -> Any:
    """Which rules run: ``--policies``, ``--rule``, ``--skip-rule``, ``--severity``, ``--tag``."""
    return _decorate(
        func,
        [
            policies_option(),
            option(
                "--rule",
                "rule_ids",
                area="scan",
                multiple=True,
                metavar="ID",
                help="Run only this rule (repeatable; case-insensitive).",
            ),
            option(
                "--skip-rule",
                "skip_rules",
                area="scan",
                multiple=True,
                metavar="ID",
                help="Do not run this rule (repeatable).",
            ),
            option(
                "--severity",
                area="scan",
                type=click.Choice(SEVERITIES, case_sensitive=False),
                help="Run only rules of at least this severity. [default: the config file's "
                "rules.min_severity, else every rule]",
            ),
            option(
                "--tag",
                "tags",
                area="scan",
                multiple=True,
                metavar="TAG",
                help="Run only rules carrying this tag (repeatable). An opt-in tag (hardening) "
                "instead adds its rules, which are off by default.",
            ),
        ],
    )


def _connection_flags(cloud_help: str) -> list[Any]:
    return [
        option(
            "--tenant", area="live", metavar="ID", help="Authenticate against this Entra ID tenant."
        ),
        option(
            "--cloud",
            area="live",
            default="AzureCloud",
            show_default=True,
            metavar="AzureCloud|AzureUSGovernment|AzureChinaCloud",
            help=cloud_help,
        ),
        option(
            "--arm-endpoint",
            area="live",
            metavar="URL",
            envvar="AMLGUARD_ARM_ENDPOINT",
            help="Any other ARM endpoint (Azure Stack, the test emulator); https only. "
            "Env: AMLGUARD_ARM_ENDPOINT.",
        ),
        option(
            "--ca-bundle",
            area="live",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="AMLGUARD_CA_BUNDLE",
            help="PEM file of CAs to trust for --arm-endpoint. Env: AMLGUARD_CA_BUNDLE.",
        ),
    ]


def connection_options(func: Any) -> Any:
    """How to reach Azure to write (``apply``): tenant, cloud, ARM endpoint, CA bundle."""
    return _decorate(func, _connection_flags("The Azure cloud: its ARM endpoint and token scope."))


def live_options(func: Any) -> Any:
    """The flags that say how to reach Azure and what to read (``check``, ``snapshot``, ...)."""
    scope = [
        option(
            "--subscription",
            "subscriptions",
            area="live",
            multiple=True,
            metavar="ID",
            help="Scan this subscription (repeatable; an id, or a name that matches exactly "
            "one readable subscription). Default: every subscription you can read.",
        ),
        option(
            "--management-group",
            "management_groups",
            area="live",
            multiple=True,
            metavar="ID",
            help="Scan the subscriptions under this management group (repeatable).",
        ),
        option(
            "-g",
            "--resource-group",
            "resource_groups",
            area="live",
            multiple=True,
            metavar="NAME",
            help="Only this resource group (repeatable).",
        ),
    ]
    tuning = [
        option(
            "--batch-size",
            area="live",
            default=1000,
            show_default=True,
            type=int,
            help="Subscriptions per Resource Graph request (1-1000).",
        ),
        option("-q", "--quiet", area="live", is_flag=True, help="No progress display on stderr."),
        option(
            "--log-level",
            area="live",
            default="warning",
            show_default=True,
            type=click.Choice(["error", "warning", "info", "debug"], case_sensitive=False),
            help="Log to stderr; 'info' logs each query's duration and quota headers "
            "(never a token).",
        ),
        option("--debug", area="live", is_flag=True, help="The same as --log-level debug."),
    ]
    cloud_help = (
        "The Azure cloud: ARM endpoint, token scope, and the private DNS zone names rules "
        "expect (with --snapshot: must agree with the cloud the snapshot records)."
    )
    return _decorate(func, scope + _connection_flags(cloud_help) + tuning)


def output_options(func: Any) -> Any:
    """Reports: ``-f/--format``, ``-o/--output``, verbosity, colour, the SARIF artifact."""
    return _decorate(
        func,
        [
            option(
                "-f",
                "--format",
                "fmt",
                area="output",
                default=None,
                metavar="FMT",
                help="Format of standard output: console (default), json, junit, sarif, "
                "markdown or html. [default: the config file's output.format]",
            ),
            option(
                "-o",
                "--output",
                "outputs",
                area="output",
                multiple=True,
                metavar="FMT:PATH",
                help="Also write a report to a file, e.g. json:findings.json; FMT:- is "
                "standard output (repeatable).",
            ),
            option(
                "-v", "--verbose", area="output", is_flag=True, help="List passing findings too."
            ),
            option(
                "--compact",
                area="output",
                is_flag=True,
                help="Console: the overview and failing findings, one line each.",
            ),
            option(
                "--failed-only",
                area="output",
                is_flag=True,
                help="Console: only workspaces with failing findings.",
            ),
            option(
                "--color",
                area="output",
                default=None,
                type=click.Choice(["auto", "always", "never"], case_sensitive=False),
                help="Colour on standard output. [default: auto; FORCE_COLOR and NO_COLOR "
                "are honoured]",
            ),
            option(
                "--sarif-artifact",
                area="output",
                type=click.Path(path_type=Path),
                help="File SARIF results point at (default: the snapshot, else the config file).",
            ),
        ],
    )


def gate_options(func: Any) -> Any:
    """What makes the exit code non-zero: threshold, suppressions, baseline, empty scope."""
    return _decorate(
        func,
        [
            option(
                "--fail-on",
                area="gate",
                default=None,
                metavar="SEVERITY|none",
                help="Exit 1 when a failing finding is at or above this severity; 'none' only "
                "reports. [default: the config file's output.fail_on, else low]",
            ),
            option(
                "--fail-on-empty/--no-fail-on-empty",
                area="gate",
                default=None,
                help="Exit 3 when the scope holds no workspace. [default: the config file's "
                "fail_on_empty, else off]",
            ),
            option(
                "--no-suppressions",
                area="gate",
                is_flag=True,
                help="Ignore every suppression in the config file (for audits).",
            ),
            option(
                "--baseline",
                area="gate",
                type=click.Path(path_type=Path),
                help="Fail only on findings not in this baseline file; list the resolved ones.",
            ),
            option(
                "--confirm/--no-confirm",
                area="gate",
                default=None,
                help="Live: re-read the resources of every failing finding from ARM before "
                "reporting (Resource Graph can lag). [default: the config file's confirm]",
            ),
        ],
    )


def history_options(func: Any) -> Any:
    """``--history`` and friends."""
    return _decorate(
        func,
        [
            option(
                "--history",
                "history",
                area="history",
                type=click.Path(path_type=Path, dir_okay=False),
                envvar="AMLGUARD_HISTORY",
                help="Record this scan in a history database (SQLite; created if missing). "
                "Env: AMLGUARD_HISTORY. [default: the config file's history.path]",
            ),
            option(
                "--no-history",
                area="history",
                is_flag=True,
                help="Do not record this scan, whatever AMLGUARD_HISTORY or the config say.",
            ),
            option(
                "--history-scope",
                area="history",
                metavar="NAME",
                help="Record under this scope name (scans compare within a scope). [default: "
                "the snapshot's recorded scope or absolute path, else the live scope]",
            ),
            option(
                "--fail-on-new/--no-fail-on-new",
                area="history",
                default=None,
                help="With a history: exit 1 only for failures new since the last scan of the "
                "same scope this gate accepted (a re-run of a failed scan fails again). "
                "[default: the config file's history.fail_on_new]",
            ),
        ],
    )


def fix_options(func: Any) -> Any:
    """``--fix`` and its flags."""
    return _decorate(
        func,
        [
            option(
                "--fix",
                area="fix",
                is_flag=True,
                help="Plan repairs for failing findings, confirm, apply and verify them; the "
                "reports then describe the estate after the fix (plan only with --snapshot).",
            ),
            option(
                "--dry-run",
                area="fix",
                is_flag=True,
                help="With --fix: print the plan, make no write call.",
            ),
            option(
                "-y", "--yes", area="fix", is_flag=True, help="With --fix: apply without asking."
            ),
            option(
                "--only",
                area="fix",
                multiple=True,
                metavar="RULE-ID",
                help="With --fix: fix only this rule (repeatable).",
            ),
            option(
                "--plan-out",
                area="fix",
                type=click.Path(path_type=Path),
                help="With --fix: write the plan as JSON (for 'amlguard apply').",
            ),
            option(
                "--audit-log",
                area="fix",
                type=click.Path(path_type=Path),
                help="With --fix: append a JSON line per write.",
            ),
            option(
                "--concurrency",
                area="fix",
                default=8,
                show_default=True,
                type=click.IntRange(1, 256),
                help="With --fix: actions run at the same time.",
            ),
        ],
    )
