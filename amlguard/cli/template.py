"""``amlguard template rows``: the rows a template would deploy, and what is unknown in them;
``amlguard template hook``: the pre-commit entry that checks the changed templates."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from amlguard.cli.templateflags import template_options, template_options_for
from amlguard.errors import EXIT_USAGE
from amlguard.settings import parse_parameter_values

__all__ = ["template_group", "template_options", "template_options_for", "template_source"]


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

    if output is not None:
        from amlguard.outputfile import refuse_inputs

        given = (*flags.get("templates", ()), *flags.get("parameter_files", ()))
        inputs = [("--template or --parameters", Path(p)) for p in given]
        refuse_inputs(output, inputs, f"the rows file {output}")
    source = template_source(**flags)
    collected = source.collect(Needs(types=()))
    text = json.dumps(rows_document(source, collected), indent=1, sort_keys=False)
    if output is None:
        click.echo(text)
    else:
        from amlguard.outputfile import write_output

        write_output(output, text + "\n", "the rows")
        click.echo(f"amlguard: wrote {len(collected.rows)} row(s) to {output}", err=True)
    for warning in source.warnings:
        click.echo(f"amlguard: warning: {warning}", err=True)
    sys.exit(0)


@template_group.command(
    "hook",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def hook_cmd(ctx: click.Context, args: tuple[str, ...]) -> None:
    """pre-commit entry (id amlguard-template): 'amlguard check --template' on the changed
    templates among the FILES pre-commit passes; options before them go to 'check'.

    Every changed file that is or may be a deployment input is checked or fails the hook: a
    changed parameter file (known by its shape, not only its $schema) checks its template
    (main.prod.parameters.json -> main.json or main.bicep, else the only template in its
    folder or the one above), a .bicepparam file the local template its 'using' names. Exit 2
    (said on standard error, per file, with why) when such a file cannot be checked: JSON that
    cannot be read even with comments, a parameter file whose template is not found, a
    .bicepparam using a registry module or template spec (name the template: --template).
    Files that are certainly not deployment inputs are left out, said on standard error; when
    nothing is left to check the hook exits 0. Otherwise the exit codes of 'amlguard check'.
    """
    from amlguard.iac.changed import classify
    from amlguard.textsafe import visible

    # the check command through the root group (importing amlguard.cli.check would be a cycle)
    root = ctx.find_root()
    check_cmd = root.command.get_command(root, "check")  # type: ignore[attr-defined]

    options, files = _split_hook_args(check_cmd, list(args))
    changed = classify([Path(f) for f in files])
    for note in changed.left_out:
        click.echo(f"amlguard: not checked (not a deployment file): {visible(note)}", err=True)
    for note in changed.notes:
        click.echo(f"amlguard: {visible(note)}", err=True)
    named = any(o == "--template" or o.startswith("--template=") for o in options)
    if changed.orphans and named:  # the hook's args name the template
        changed.parameters += changed.orphans
        orphans = {str(p) for p in changed.orphans}
        changed.unresolved = [
            u for u in changed.unresolved if not any(u.startswith(f"{o}: ") for o in orphans)
        ]
    if changed.unresolved:
        for note in changed.unresolved:
            click.echo(f"amlguard: cannot check: {visible(note)}", err=True)
        click.echo(
            f"amlguard: {len(changed.unresolved)} changed deployment file(s) could not be "
            f"checked: exit {EXIT_USAGE} (a changed deployment nobody checked is not a pass)",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    if not changed.templates and not (named and changed.parameters):
        click.echo("amlguard: no template among the changed files", err=True)
        sys.exit(0)
    argv = [*options]
    for path in changed.templates:
        argv += ["--template", str(path)]
    for path in changed.parameters:
        argv += ["--parameters", str(path)]
    with check_cmd.make_context("amlguard check", argv, parent=ctx) as sub:
        check_cmd.invoke(sub)


def _split_hook_args(command: click.Command, args: list[str]) -> tuple[list[str], list[str]]:
    """(the options for ``check``, with their values; the file names pre-commit appended)."""
    takes_value = {
        opt
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and not p.count
        for opt in p.opts
    }
    options: list[str] = []
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            files += args[i + 1 :]
            break
        if arg.startswith("-") and not files:
            options.append(arg)
            if arg in takes_value and i + 1 < len(args):
                options.append(args[i + 1])
                i += 1
        else:
            files.append(arg)
        i += 1
    return options, files
