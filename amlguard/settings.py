"""The settings of one run, resolved once: flag > environment > ``amlguard.yaml`` > default.

Every command that scans builds one frozen :class:`CheckSettings` through :func:`resolve` and
hands it to :mod:`amlguard.app`; nothing downstream looks at flags, the environment or the
config file again, so precedence is decided in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amlguard.errors import InputError
from amlguard.scanner.model import Severity
from amlguard.settingtypes import (
    CheckSettings,
    Connection,
    Fix,
    Gate,
    History,
    Outputs,
    OutputTarget,
    Scope,
    Selection,
    Templates,
)

if TYPE_CHECKING:
    from amlguard.config import Config

__all__ = [
    "CheckSettings",
    "Connection",
    "Fix",
    "Flags",
    "Gate",
    "History",
    "OutputTarget",
    "Outputs",
    "Scope",
    "Selection",
    "Templates",
    "input_paths",
    "parse_fail_on",
    "parse_output",
    "parse_parameter_values",
    "resolve",
]

#: Where a value came from, strongest first (click's ParameterSource names, plus the config).
COMMANDLINE, ENVIRONMENT, CONFIG, DEFAULT = "commandline", "environment", "config", "default"


class Flags:
    """The parsed flags of one command with where each came from (click's parameter source)."""

    def __init__(self, values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.sources = dict(sources)

    def given(self, name: str) -> bool:
        """True when the user set ``name`` on the command line or through the environment."""
        return self.sources.get(name) in (COMMANDLINE, ENVIRONMENT) and self.values.get(
            name
        ) not in (None, ())

    def on_command_line(self, name: str) -> bool:
        """True when ``name`` was typed on the command line."""
        return self.sources.get(name) == COMMANDLINE and self.values.get(name) not in (None, ())

    def pick(self, name: str, configured: Any = None, default: Any = None) -> Any:
        """The one precedence: flag (or its environment variable) > config file > default."""
        if self.given(name):
            return self.values[name]
        if configured not in (None, ()):
            return configured
        value = self.values.get(name)
        return default if value in (None, ()) else value


def parse_output(spec: str, flag: str = "--output") -> OutputTarget:
    """``FMT:PATH`` (``-`` or nothing after the colon-less ``FMT``: standard output)."""
    from amlguard.reports import registry

    fmt, sep, path = spec.partition(":")
    fmt = fmt.strip().lower()
    known = registry.formats()
    if fmt not in known:
        raise InputError(
            f"{flag} {spec!r}: unknown format {fmt!r} (one of: {', '.join(known)})"
            if fmt
            else f"{flag} {spec!r}: a format is needed (one of: {', '.join(known)})"
        )
    if sep and not path.strip():
        raise InputError(f"{flag} {spec!r}: a path is needed after ':' ('-' for standard output)")
    if not sep or path.strip() == "-":
        return OutputTarget(fmt, None)
    return OutputTarget(fmt, Path(path))


def parse_fail_on(text: str) -> Severity | None:
    """``--fail-on``: a severity, or ``none`` to only report."""
    if text.strip().lower() == "none":
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise InputError(f"--fail-on: {exc} or none") from None


def _severity(text: str | None, flag: str) -> Severity | None:
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}") from None


def _outputs(flags: Flags, cfg: Config, color: bool) -> Outputs:
    fmt = flags.pick("fmt", cfg.output_format, "console")
    if not isinstance(fmt, str) or not fmt.strip() or ":" in fmt:
        raise InputError(
            f"--format {fmt!r}: --format names the format of standard output "
            "(console, json, junit, sarif, markdown or html); use --output FMT:PATH for a file"
        )
    stdout = parse_output(fmt, "--format")
    specs = flags.pick("outputs", cfg.outputs, ())
    exports: list[str] = []
    if any(str(spec).strip().lower().startswith("log-analytics") for spec in specs):
        from amlguard.export.outputs import split_outputs  # loads no exporter, no Azure SDK

        specs, exports = split_outputs(specs)
    for spec in specs:
        if ":" not in spec:
            raise InputError(
                f"--output {spec!r}: --output needs FMT:PATH (FMT:- for standard output); "
                "use --format for standard output"
            )
    files = [parse_output(spec) for spec in specs]
    to_stdout = [t for t in files if t.path is None]
    if to_stdout and flags.given("fmt"):
        raise InputError("--output FMT:- and --format both name standard output: use one")
    targets = to_stdout[:1] or [stdout]
    if len(to_stdout) > 1:
        raise InputError("more than one --output writes to standard output ('-')")
    targets += [t for t in files if t.path is not None]
    _no_directories(targets)
    return Outputs(
        stdout_format=targets[0].format,
        targets=tuple(targets),
        verbose=bool(flags.values.get("verbose")),
        color=color and targets[0].format == "console",
        compact=bool(flags.values.get("compact")),
        failed_only=bool(flags.values.get("failed_only")),
        sarif_artifact=_artifact(flags.pick("sarif_artifact", cfg.sarif_artifact)),
        exports=tuple(exports),
    )


def _artifact(path: Path | None) -> Path | None:
    """``--sarif-artifact``: a regular text file that exists (SARIF results point into it),
    read through the one bounded reader (no FIFO, device or gzip bomb)."""
    if path is None:
        return None
    from amlguard import inputfile

    path = Path(path)
    try:
        head = inputfile.read_bytes(path, "SARIF artifact")[:8192]
    except InputError as exc:
        raise InputError(f"--sarif-artifact: {exc}") from None
    if b"\x00" in head:
        raise InputError(f"--sarif-artifact {path}: a binary file (SARIF points at text lines)")
    return path


def _no_directories(targets: list[OutputTarget]) -> None:
    """A report path that is a folder cannot take the report (two outputs to one file:
    :func:`_no_clobber`, which sees every output, not only reports)."""
    import os

    for t in targets:
        if t.path is not None and os.path.isdir(t.path):
            raise InputError(f"--output {t.describe()}: {t.path} is a directory")


def input_paths(settings: CheckSettings) -> list[tuple[str, Path]]:
    """Every file or folder the command reads, as ``(flag, path)``."""
    found: list[tuple[str, Path]] = [("--snapshot", Path(p)) for p in settings.snapshots]
    found += [("--template", Path(p)) for p in settings.templates.paths]
    found += [("--parameters", Path(p)) for p in settings.templates.parameter_files]
    found += [("--policies", Path(p)) for p in settings.selection.custom_policies]
    if settings.config is not None and settings.config.path:
        found.append(("--config", Path(settings.config.path)))
    if settings.gate.baseline is not None:
        found.append(("--baseline", Path(settings.gate.baseline)))
    if settings.outputs.sarif_artifact is not None:
        found.append(("--sarif-artifact", Path(settings.outputs.sarif_artifact)))
    if settings.connection.ca_bundle:
        found.append(("--ca-bundle", Path(settings.connection.ca_bundle)))
    return found


def _no_clobber(settings: CheckSettings) -> CheckSettings:
    """No output of the command (report, history, plan, audit log) over one of its inputs."""
    from amlguard.outputfile import refuse_inputs, refuse_shared

    inputs = input_paths(settings)
    outputs: list[tuple[str, Path]] = [
        (f"--output {t.describe()}", Path(t.path)) for t in settings.outputs.targets if t.path
    ]
    if settings.history.path is not None:
        outputs.append(("--history", Path(settings.history.path)))
    if settings.fix.plan_out is not None:
        outputs.append(("--plan-out", Path(settings.fix.plan_out)))
    if settings.fix.audit_log is not None:
        outputs.append(("--audit-log", Path(settings.fix.audit_log)))
    for what, path in outputs:
        refuse_inputs(path, inputs, what)
    refuse_shared(outputs)
    return settings


def _selection(flags: Flags, cfg: Config) -> Selection:
    custom = tuple(flags.values.get("policies") or ()) + tuple(cfg.policies)
    rule_ids = tuple(flags.values.get("rule_ids") or ())
    skip = tuple(flags.values.get("skip_rules") or ())
    for flag, values in (("--rule", rule_ids), ("--skip-rule", skip)):
        if any(not v.strip() for v in values):
            raise InputError(f"{flag} '': a rule id is needed (see 'amlguard policies list')")
    severity = flags.pick("severity", cfg.min_severity)
    tags = tuple(t.lower() for t in flags.values.get("tags") or ())
    words = []
    if rule_ids:
        words.append("--rule " + " ".join(rule_ids))
    if skip:
        words.append("--skip-rule " + " ".join(skip))
    if tags:
        words.append("--tag " + " ".join(tags))
    if severity:
        source = "--severity" if flags.given("severity") else "rules.min_severity"
        words.append(f"{source} {severity}")
    return Selection(
        policies=custom,
        custom_policies=custom,
        rule_ids=tuple(r.strip().upper() for r in rule_ids),
        skip_rules=tuple(r.strip().upper() for r in skip),
        include_tags=tags,
        min_severity=_severity(severity, "--severity"),
        described=", ".join(words),
    )


def _scope(flags: Flags, cfg: Config, live: bool) -> Scope:
    subs = tuple(flags.values.get("subscriptions") or ())
    groups = tuple(flags.values.get("management_groups") or ())
    rgs = tuple(flags.values.get("resource_groups") or ())
    if not (subs or groups or rgs):
        subs, groups, rgs = cfg.subscriptions, cfg.management_groups, cfg.resource_groups
    if subs and groups and live:
        raise InputError("--subscription and --management-group cannot be combined")
    return Scope(tuple(subs), tuple(groups), tuple(rgs))


def _connection(flags: Flags) -> Connection:
    given = flags.values.get("batch_size")
    batch = 1000 if given is None else int(given)  # 0 is a value, refused below
    if batch < 1 or batch > 1000:
        raise InputError("--batch-size must be between 1 and 1000 (Resource Graph's limit)")
    ca = flags.values.get("ca_bundle")
    level = "debug" if flags.values.get("debug") else flags.values.get("log_level") or "warning"
    return Connection(
        cloud=flags.values.get("cloud") or "AzureCloud",
        cloud_given=flags.on_command_line("cloud"),
        arm_endpoint=flags.values.get("arm_endpoint"),
        ca_bundle=str(ca) if ca else None,
        tenant=flags.values.get("tenant"),
        batch_size=batch,
        quiet=bool(flags.values.get("quiet")),
        log_level=str(level).lower(),
    )


_LIVE_ONLY = (
    ("subscriptions", "--subscription"),
    ("management_groups", "--management-group"),
    ("resource_groups", "--resource-group"),
    ("tenant", "--tenant"),
    ("arm_endpoint", "--arm-endpoint"),
    ("ca_bundle", "--ca-bundle"),
    ("batch_size", "--batch-size"),
    ("confirm", "--confirm"),
)


def _fix(flags: Flags) -> Fix:
    enabled = bool(flags.values.get("fix"))
    fix = Fix(
        enabled=enabled or bool(flags.values.get("dry_run")),
        dry_run=bool(flags.values.get("dry_run")),
        yes=bool(flags.values.get("yes")),
        only=tuple(o.strip().upper() for o in flags.values.get("only") or ()),
        plan_out=flags.values.get("plan_out"),
        audit_log=flags.values.get("audit_log"),
        concurrency=int(flags.values.get("concurrency") or 8),
    )
    if not fix.enabled and (fix.yes or fix.only or fix.plan_out or fix.audit_log):
        raise InputError("--yes, --only, --plan-out and --audit-log need --fix")
    return fix


def _gate_and_history(flags: Flags, cfg: Config) -> tuple[Gate, History]:
    no_history = bool(flags.values.get("no_history"))
    fail_on_new = flags.values.get("fail_on_new")
    if no_history and fail_on_new:
        raise InputError("--fail-on-new compares with the history that --no-history turns off")
    history_path = None if no_history else flags.pick("history", cfg.history_path)
    if fail_on_new is None:
        fail_on_new = cfg.history_fail_on_new and not no_history
    if fail_on_new and history_path is None:
        raise InputError(
            "--fail-on-new (or history.fail_on_new in the config file) needs a history: "
            "--history PATH, AMLGUARD_HISTORY or history.path"
        )
    empty = flags.values.get("fail_on_empty")
    confirm = flags.values.get("confirm")
    gate = Gate(
        fail_on=parse_fail_on(str(flags.pick("fail_on", cfg.fail_on, "low"))),
        fail_on_new=bool(fail_on_new),
        fail_on_empty=bool(cfg.fail_on_empty if empty is None else empty),
        use_suppressions=not flags.values.get("no_suppressions"),
        baseline=flags.values.get("baseline"),
        confirm=bool(cfg.confirm if confirm is None else confirm),
    )
    scope = flags.pick("history_scope", cfg.history_scope)
    return gate, History(path=history_path, scope=scope)


def _templates(flags: Flags) -> Templates:
    values = tuple(flags.values.get("parameter_values") or ())
    pairs = tuple(parse_parameter_values(values).items()) if values else ()
    return Templates(
        paths=tuple(flags.values.get("templates") or ()),
        parameter_files=tuple(flags.values.get("parameter_files") or ()),
        parameters=pairs,
        subscription=flags.values.get("deployment_subscription"),
        resource_group=flags.values.get("deployment_resource_group"),
        location=flags.values.get("deployment_location"),
    )


def resolve(flags: Flags, cfg: Config, *, color: bool = False) -> CheckSettings:
    """The settings of a scanning command (``check``, ``baseline create``, ``snapshot``)."""
    snapshots = tuple(flags.values.get("snapshots") or ())
    if snapshots:
        given = [flag for name, flag in _LIVE_ONLY if flags.on_command_line(name)]
        if given:
            raise InputError(f"{', '.join(given)} only apply to live scans, not with --snapshot")
    gate, history = _gate_and_history(flags, cfg)
    templates = _templates(flags)
    fix = _fix(flags)
    if fix.enabled and (templates.paths or (cfg.iac or {}).get("templates")):
        raise InputError("--fix with --template: fix templates in source, then deploy them")
    settings = CheckSettings(
        snapshots=snapshots,
        templates=templates,
        scope=_scope(flags, cfg, not snapshots),
        connection=_connection(flags),
        selection=_selection(flags, cfg),
        outputs=_outputs(flags, cfg, color),
        gate=gate,
        history=history,
        fix=fix,
        config=cfg,
        integration_selector=cfg.integration_selector,
        solution_subnet=cfg.solution_subnet,
    )
    return _no_clobber(settings)


def parse_parameter_values(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings as a mapping; InputError naming a malformed one."""
    out: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--parameter {text!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out
