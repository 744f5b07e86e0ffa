"""The template flags ``check`` and ``template rows`` share, apart from the ``template``
commands (a snapshot check builds these flags, not the commands)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


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
