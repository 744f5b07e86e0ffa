"""The option groups several commands share, and their translation into requests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from amlguard.scanner.sources.interface import Source

SEVERITIES = ["critical", "high", "medium", "low", "info"]


def policies_option(dest: str = "policies") -> Any:
    """``--policies PATH`` (repeatable): the user's rule files, for every command that loads rules."""
    return click.option(
        "--policies",
        dest,
        multiple=True,
        type=click.Path(path_type=Path),
        help="Also load the rule files in this directory or file (repeatable).",
    )


def _decorate(func: Any, options: list[Any]) -> Any:
    for option in reversed(options):
        func = option(func)
    return func


def _connection_flags(cloud_help: str) -> list[Any]:
    return [
        click.option("--tenant", metavar="ID", help="Authenticate against this Entra ID tenant."),
        click.option(
            "--cloud",
            default="AzureCloud",
            show_default=True,
            metavar="AzureCloud|AzureUSGovernment|AzureChinaCloud",
            help=cloud_help,
        ),
        click.option(
            "--arm-endpoint",
            metavar="URL",
            envvar="AMLGUARD_ARM_ENDPOINT",
            help="Any other ARM endpoint (Azure Stack, the test emulator); https only. "
            "Env: AMLGUARD_ARM_ENDPOINT.",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="AMLGUARD_CA_BUNDLE",
            help="PEM file of CAs to trust for --arm-endpoint. Env: AMLGUARD_CA_BUNDLE.",
        ),
    ]


def connection_options(func: Any) -> Any:
    """How to reach Azure to write (``apply``): tenant, cloud, ARM endpoint, CA bundle."""
    return _decorate(func, _connection_flags("The Azure cloud: its ARM endpoint and token scope."))


def live_options(func: Any) -> Any:
    """The flags that say how to reach Azure and what to read (``check`` and ``snapshot``)."""
    func = _decorate(
        func,
        [
            click.option(
                "--batch-size",
                default=1000,
                show_default=True,
                type=int,
                help="Subscriptions per Resource Graph request (1-1000).",
            ),
            click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr."),
            click.option(
                "--log-level",
                default="warning",
                show_default=True,
                type=click.Choice(["error", "warning", "info", "debug"], case_sensitive=False),
                help="Log to stderr; 'info' logs each query's duration and quota headers "
                "(never a token).",
            ),
        ],
    )
    func = _decorate(
        func,
        _connection_flags(
            "The Azure cloud: ARM endpoint, token scope, and the private DNS zone names "
            "rules expect (also with --snapshot)."
        ),
    )
    return _decorate(
        func,
        [
            click.option(
                "--subscription",
                "subscriptions",
                multiple=True,
                metavar="ID",
                help="Scan this subscription (repeatable). Default: every subscription you can "
                "read.",
            ),
            click.option(
                "--management-group",
                "management_groups",
                multiple=True,
                metavar="ID",
                help="Scan the subscriptions under this management group (repeatable).",
            ),
            click.option(
                "--resource-group",
                "resource_groups",
                multiple=True,
                metavar="NAME",
                help="Only this resource group (repeatable).",
            ),
        ],
    )


def gate_options(func: Any) -> Any:
    """The CI-gate options of ``check``: config file, SARIF artifact, suppressions, baseline."""
    return _decorate(
        func,
        [
            click.option(
                "--config",
                "config_path",
                type=click.Path(path_type=Path),
                help="Config file (default: amlguard.yaml in the working directory, if any).",
            ),
            click.option(
                "--sarif-artifact",
                type=click.Path(path_type=Path),
                help="File SARIF results point at (default: the snapshot, else the config file).",
            ),
            click.option(
                "--no-suppressions",
                is_flag=True,
                help="Ignore every suppression in the config file (for audits).",
            ),
            click.option(
                "--baseline",
                type=click.Path(path_type=Path),
                help="Fail only on findings not in this baseline file; list the resolved ones.",
            ),
        ],
    )


def load_config(path: Path | None) -> Any:
    """The config file given or found in the working directory (defaults when there is none)."""
    from amlguard import config

    found = config.find_config(path)
    return config.load_config(found) if found else config.Config()


def live_request(kw: dict[str, Any], cfg: Any) -> Any:
    """The live flags; without any scope flag, the config file's ``scope`` (all of it)."""
    from amlguard import app, logs

    logs.configure(kw["log_level"])
    subscriptions = tuple(kw["subscriptions"])
    groups = tuple(kw["management_groups"])
    resource_groups = tuple(kw["resource_groups"])
    if not (subscriptions or groups or resource_groups):
        subscriptions, groups = tuple(cfg.subscriptions), tuple(cfg.management_groups)
        resource_groups = tuple(cfg.resource_groups)
    return app.LiveRequest(
        cloud=kw["cloud"],
        arm_endpoint=kw["arm_endpoint"],
        ca_bundle=str(kw["ca_bundle"]) if kw["ca_bundle"] else None,
        tenant=kw["tenant"],
        subscriptions=subscriptions,
        management_groups=groups,
        resource_groups=resource_groups,
        batch_size=kw["batch_size"],
    )


def scan_setup(
    snapshots: tuple[Path, ...], live: dict[str, Any], cfg: Any, reporter: Any = None
) -> tuple[Source, Any]:
    """(source, scan options) of a scanning command: the snapshot files when given, else Azure
    live through Resource Graph; ``--cloud`` picks the DNS zone names rules expect either way."""
    from amlguard import app, config
    from amlguard.azure.clouds import resolve_cloud

    scan_options = config.scan_options(cfg, cloud=resolve_cloud(live["cloud"]).name)
    if snapshots:
        from amlguard.scanner.sources.snapshot import SnapshotSource

        return SnapshotSource(list(snapshots)), scan_options
    source = app.live_source(live_request(live, cfg), reporter, scan_options=scan_options)
    return source, scan_options


def check_request(
    source: Source,
    scan_options: Any,
    cfg: Any,
    policies: tuple[Path, ...],
    rule_ids: tuple[str, ...],
    min_severity: str | None,
    no_suppressions: bool,
    **more: Any,
) -> Any:
    """The ``CheckRequest`` every scanning command builds from its shared flags."""
    from amlguard import app
    from amlguard.scanner.model import Severity

    return app.CheckRequest(
        source=source,
        policies=list(policies) + list(cfg.policies),
        rule_ids=list(rule_ids),
        min_severity=Severity.parse(min_severity) if min_severity else None,
        scan_options=scan_options,
        config=cfg,
        use_suppressions=not no_suppressions,
        **more,
    )


def reporter(quiet: bool) -> Any:
    """The progress display on stderr, unless ``--quiet`` or stderr is no terminal."""
    from amlguard import progress

    return progress.RichProgress() if progress.wanted(quiet) else None


def live_flags_given(kw: dict[str, Any]) -> list[str]:
    """Live-only flags given on the command line (an environment default is no mistake)."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    given = [
        f"--{name.replace('_', '-')}"
        for name in (
            "subscriptions",
            "management_groups",
            "resource_groups",
            "tenant",
            "arm_endpoint",
            "ca_bundle",
        )
        if kw.get(name)
        and (ctx is None or ctx.get_parameter_source(name) is not ParameterSource.ENVIRONMENT)
    ]
    return [
        g.replace("--subscriptions", "--subscription")
        .replace("--management-groups", "--management-group")
        .replace("--resource-groups", "--resource-group")
        for g in given
    ]


def connection_request(kw: dict[str, Any]) -> Any:
    """The connection flags alone (what ``apply`` has): cloud, endpoint, CA bundle, tenant."""
    from amlguard import app

    return app.LiveRequest(
        cloud=kw["cloud"],
        arm_endpoint=kw["arm_endpoint"],
        ca_bundle=str(kw["ca_bundle"]) if kw["ca_bundle"] else None,
        tenant=kw["tenant"],
    )


def client_settings(kw: dict[str, Any]) -> Any:
    """Remediation's client settings from the connection flags (``check --fix``, ``apply``)."""
    from amlguard import app

    return app.remediation_settings(connection_request(kw))
