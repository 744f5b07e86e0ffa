"""``amlguard template rows``: the rows a template would deploy, and what is unknown in them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from amlguard.errors import InputError


def template_options_for(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The template flags, with --template required (``template rows``) or optional
    (``check``, where the config file's ``iac:`` section may name the templates)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return _template_options(func, required)

    return decorate


def template_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--template (required), --parameters, --parameter and the --deployment-* flags."""
    return _template_options(func, True)


def _template_options(func: Callable[..., Any], required: bool) -> Callable[..., Any]:
    decorators = [
        click.option(
            "--template",
            "templates",
            multiple=True,
            required=required,
            type=click.Path(path_type=Path),
            help="An ARM template (.json), a Bicep file (needs the Bicep CLI) or a folder of "
            "them. Repeatable.",
        ),
        click.option(
            "--parameters",
            "parameter_files",
            multiple=True,
            type=click.Path(path_type=Path),
            help="An ARM parameter file (or .bicepparam); applies to every template that "
            "declares its names. Repeatable.",
        ),
        click.option(
            "--parameter",
            "parameter_values",
            multiple=True,
            metavar="NAME=VALUE",
            help="One parameter value, typed by its declaration (objects and arrays as JSON). "
            "Repeatable.",
        ),
        click.option("--deployment-subscription", help="Subscription id the template deploys to."),
        click.option("--deployment-resource-group", help="Resource group the template deploys to."),
        click.option(
            "--deployment-location",
            help="Location of that resource group (resourceGroup().location).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def parse_parameter_values(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings as a mapping; InputError naming a malformed one."""
    out: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--parameter {text!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def template_source(
    templates: tuple[Path, ...],
    parameter_files: tuple[Path, ...],
    parameter_values: tuple[str, ...],
    deployment_subscription: str | None,
    deployment_resource_group: str | None,
    deployment_location: str | None,
) -> Any:
    """A TemplateSource from the values of :func:`template_options`."""
    from amlguard.iac.expand import DeploymentContext
    from amlguard.iac.source import TemplateSource

    defaults = DeploymentContext()
    context = DeploymentContext(
        subscription_id=deployment_subscription or defaults.subscription_id,
        resource_group=deployment_resource_group or defaults.resource_group,
        location=deployment_location,
    )
    return TemplateSource(
        list(templates),
        list(parameter_files),
        parse_parameter_values(parameter_values),
        context,
    )


@click.group("template")
def template_group() -> None:
    """Work with ARM templates and Bicep files before they are deployed."""


@template_group.command("rows")
@template_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rows here (default: standard output), in the snapshot format "
    "'check --snapshot' reads, plus an 'unknowns' list.",
)
def rows_cmd(output: Path | None, **flags: Any) -> None:
    """Write the rows the templates would deploy, and the values unknown before deployment."""
    from amlguard.iac.rowsfile import rows_document
    from amlguard.scanner.sources.interface import Needs

    source = template_source(**flags)
    collected = source.collect(Needs(types=()))
    text = json.dumps(rows_document(source, collected), indent=1, sort_keys=False)
    if output is None:
        click.echo(text)
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"amlguard: wrote {len(collected.rows)} row(s) to {output}", err=True)
    for warning in source.warnings:
        click.echo(f"amlguard: warning: {warning}", err=True)
    sys.exit(0)
