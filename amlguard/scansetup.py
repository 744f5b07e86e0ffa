"""From settings to what a scan is made of: the selected rules, their options, the source.

Every scanning command builds these the same way (:mod:`amlguard.app` calls them once per run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.scanner.rules import Rule, RulePack, load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.interface import Collected, Source
from amlguard.settings import CheckSettings


def load_rules(settings: CheckSettings) -> tuple[RulePack, list[Rule]]:
    """The pack plus ``--policies``, narrowed by flags and config; nothing selected is an error."""
    from amlguard.ruleselect import narrow, opt_in_tags

    pack = load_pack(list(settings.selection.policies))
    opt_in = opt_in_tags(pack)
    sel = settings.selection
    rule_ids = list(sel.rule_ids)
    cfg = settings.config
    described = sel.described
    enabled: tuple[str, ...] = ()
    named: list[str] = list(rule_ids)
    if cfg is not None and cfg.path is not None:
        from amlguard.config import check_against_pack, selected_rule_ids

        check_against_pack(cfg, pack)
        enabled = cfg.include_tags
        if not rule_ids:
            rule_ids = selected_rule_ids(cfg, pack)
            # not rule_ids: a rule the config keeps only by its default_on_when stays conditional
            named = list(cfg.include)
            if rule_ids and not described:
                described = f"the rules selection of {cfg.path}"
    rules = select_rules(pack, rule_ids, sel.min_severity)
    unknown = [r for r in sel.skip_rules if pack.get(r) is None]
    if unknown:
        raise InputError(
            f"--skip-rule: unknown rule id(s): {', '.join(unknown)} (see 'amlguard policies list')"
        )
    rules = [r for r in rules if r.id not in sel.skip_rules]
    rules = narrow(rules, sel.include_tags, opt_in, enabled=enabled, named=named)
    if not rules:
        raise InputError(
            f"no rule is selected by {described or 'the rule selection'}: nothing would be judged "
            "(see 'amlguard policies list' for ids, tags and severities)"
        )
    return pack, rules


def scan_options(settings: CheckSettings, pack: RulePack, cloud: str) -> ScanOptions:
    """Rule parameters and instance settings: config (and its shortcuts) over the pack."""
    cfg = settings.config
    shortcuts = pack.settings.get("config_shortcuts") or {}
    parameters = cfg.parameters_with_shortcuts(shortcuts) if cfg is not None else {}
    return ScanOptions(
        cloud=cloud,
        parameters=parameters,
        integration_selector=dict(settings.integration_selector)
        if settings.integration_selector
        else None,
        solution_subnet=settings.solution_subnet,
        network_isolation=cfg.network_isolation if cfg is not None else None,
    )


def build_source(
    settings: CheckSettings,
    options: ScanOptions,
    pack: RulePack,
    reporter: Any = None,
    verify_ahead: bool = False,
) -> Source:
    """The snapshot files, Azure live through Resource Graph, or templates before deployment
    (alone, or laid over the snapshot or live estate: same-id rows are the template's).

    ``verify_ahead``: the caller settles ``Collected.pending`` (snapshot files alone: see
    :mod:`amlguard.scanner.sources.snapshotahead`)."""
    templates = _template_source(settings)
    if templates is None:
        return _estate_source(settings, options, pack, reporter, verify_ahead)
    if not (settings.snapshots or settings.live):
        return templates
    from amlguard.iac.combined import CombinedSource

    return CombinedSource(templates, _estate_source(settings, options, pack, reporter))


def _template_source(settings: CheckSettings) -> Any:
    if not settings.has_templates:
        return None
    from amlguard.iac.settings import template_source

    cfg = settings.config
    t = settings.templates
    base = Path(cfg.path).parent if cfg is not None and cfg.path else Path.cwd()
    return template_source(
        cfg.iac if cfg is not None else None,
        base,
        templates=list(t.paths),
        parameter_files=list(t.parameter_files),
        parameters=dict(t.parameters),
        subscription=t.subscription,
        resource_group=t.resource_group,
        location=t.location,
    )


def _estate_source(
    settings: CheckSettings,
    options: ScanOptions,
    pack: RulePack,
    reporter: Any = None,
    verify_ahead: bool = False,
) -> Source:
    if settings.snapshots:
        from amlguard.scanner.sources.snapshot import SnapshotSource

        return SnapshotSource(list(settings.snapshots), verify_ahead=verify_ahead)
    from amlguard.azure.connect import client_factory
    from amlguard.scanner.scan import instance_settings
    from amlguard.scanner.sources.live import LiveOptions, LiveScope
    from amlguard.scanner.sources.resourcegraph import ResourceGraphSource

    scope = settings.scope
    return ResourceGraphSource(
        client_factory(settings),
        LiveScope(scope.subscriptions, scope.management_groups, scope.resource_groups),
        LiveOptions(batch_size=settings.connection.batch_size),
        instance_settings=instance_settings(pack, options),
        reporter=reporter,
    )


def snapshot_cloud(settings: CheckSettings, collected: Collected) -> str:
    """A snapshot is evidence: it is judged in the cloud it was read from."""
    from amlguard.azure.clouds import resolve_cloud

    given = resolve_cloud(settings.connection.cloud).name
    header = collected.info.header
    recorded = header.get("cloud") if isinstance(header, dict) else None
    if not settings.snapshots or not isinstance(recorded, str) or not recorded:
        return given
    try:
        recorded = resolve_cloud(recorded).name
    except InputError:
        raise InputError(f"{settings.snapshots[0]}: the snapshot names an unknown cloud") from None
    if settings.connection.cloud_given and recorded != given:
        raise InputError(
            f"--cloud {given} disagrees with the snapshot, which was read from {recorded}"
        )
    return recorded
