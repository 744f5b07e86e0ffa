"""``TemplateSource``: the rows ARM templates (and Bicep, through the Bicep CLI) would deploy.

Inputs: template files or folders, ARM parameter files (or ``.bicepparam``), ``NAME=VALUE``
overrides (typed by the parameter's declaration, like ``az deployment ... --parameters``), and
the deployment context. Parameter files and overrides apply to every template that declares
the name; a name no template declares is an input error (a typo would otherwise pass
silently). A folder contributes every ARM deployment template in it (recursively) and, when
none is given explicitly, each template's ``<stem>.parameters.json`` sibling; its top-level
``.bicep`` files are built when the folder holds no compiled template, and otherwise listed
as not read (never skipped silently).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.iac import bicep, firewallips, peerings
from amlguard.iac.bicepread import BEST_EFFORT
from amlguard.iac.conditional import CONDITIONS, conditions
from amlguard.iac.expand import DeploymentContext, Expanded, expand, load_run_values
from amlguard.iac.expr import ExprError, is_expression, parse_expression
from amlguard.iac.jsonpos import JsonDoc, Location, read_json
from amlguard.iac.snapshotfile import is_snapshot, rows_of_snapshot
from amlguard.iac.template import Expansion
from amlguard.iac.values import Unknown
from amlguard.scanner import ids
from amlguard.scanner.model import SourceInfo
from amlguard.scanner.sources.interface import Collected, Needs, Source

__all__ = ["DeploymentContext", "TemplateSource", "read_parameter_file"]

_TEMPLATE_SCHEMA = "deploymenttemplate.json"
_PARAMS_SCHEMA = "deploymentparameters.json"


def _schema(doc: JsonDoc) -> str:
    value = doc.value
    return str(value.get("$schema", "")).lower() if isinstance(value, dict) else ""


def is_template(doc: JsonDoc) -> bool:
    """An ARM deployment template (any scope), judged by content, not by file name."""
    if _TEMPLATE_SCHEMA in _schema(doc):
        return True
    value = doc.value
    return isinstance(value, dict) and not _schema(doc) and "resources" in value


def read_parameter_file(path: Path, origins: dict[str, Location] | None = None) -> dict[str, Any]:
    """An ARM parameter file (``.bicepparam`` through the Bicep CLI) as ``{name: value}``;
    Key Vault references become secret unknowns. ``origins`` receives where each value is
    written (lower-cased name -> location)."""
    doc = bicep.build_params(path) if path.suffix.lower() == ".bicepparam" else read_json(path)
    raw = doc.value
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a parameter file must be a JSON object")
    params = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else None
    if params is None:
        params = {k: v for k, v in raw.items() if not k.startswith("$") and k != "contentVersion"}
    out: dict[str, Any] = {}
    for name, entry in params.items():
        if isinstance(entry, dict) and "value" in entry:
            out[name] = entry["value"]
            if origins is not None:
                where = ("parameters", name, "value") if "parameters" in raw else (name, "value")
                origins[name.lower()] = doc.location(where)
        elif isinstance(entry, dict) and "reference" in entry:
            secret = (entry.get("reference") or {}).get("secretName", name)
            out[name] = Unknown(f"key vault secret {secret}", secret=True)
        else:
            loc = doc.location(("parameters", name) if "parameters" in raw else (name,))
            raise InputError(f"{loc}: parameter '{name}' needs a 'value' or a 'reference'")
    return out


class TemplateSource(Source):
    """Rows from ARM templates (and Bicep files built with the Bicep CLI)."""

    def __init__(
        self,
        templates: list[Path],
        parameter_files: list[Path] | None = None,
        parameters: dict[str, str] | None = None,
        deployment: DeploymentContext | None = None,
    ) -> None:
        if not templates:
            raise InputError("no template given (--template PATH)")
        self.templates = list(templates)
        self.parameter_files = list(parameter_files or [])
        self.parameters = dict(parameters or {})
        self.deployment = deployment or DeploymentContext()
        self.expanded: list[Expanded] = []
        self.warnings: list[str] = []

    # ---- what to read ------------------------------------------------------------------------

    def _entries(self) -> list[tuple[JsonDoc, Path | None]]:
        """(template document, its auto-discovered parameter file or None), in order."""
        out: list[tuple[JsonDoc, Path | None]] = []
        for path in self.templates:
            if path.is_dir():
                out.extend(self._folder(path))
            elif path.suffix.lower() == ".bicep":
                out.append((bicep.build(path), None))
            elif not path.exists():
                raise InputError(f"{path}: template not found")
            else:
                doc = read_json(path)
                if not is_template(doc) and not is_snapshot(doc):
                    raise InputError(
                        f"{path}: not an ARM deployment template (no $schema "
                        "deploymentTemplate.json# and no 'resources') nor a bicep snapshot"
                    )
                out.append((doc, None))
        return out

    def _folder(self, folder: Path) -> list[tuple[JsonDoc, Path | None]]:
        found: list[tuple[JsonDoc, Path | None]] = []
        for path in sorted(folder.rglob("*.json")):
            if any(part.startswith(".") for part in path.relative_to(folder).parts):
                continue
            try:
                doc = read_json(path)
            except InputError:
                self.warnings.append(f"{path}: not read (not valid JSON)")
                continue
            if _PARAMS_SCHEMA in _schema(doc):
                continue
            if not is_template(doc) and not is_snapshot(doc):
                self.warnings.append(f"{path}: not read (not an ARM deployment template)")
                continue
            sibling = path.with_name(f"{path.stem}.parameters.json")
            found.append((doc, sibling if sibling.exists() else None))
        for path in sorted(folder.glob("*.bicep")):
            if found:
                names = ", ".join(Path(d.file).name for d, _ in found)
                self.warnings.append(
                    f"{path}: not read; the folder's compiled template(s) ({names}) are checked"
                )
            else:
                found.append((bicep.build(path), None))
        if not found:
            raise InputError(f"{folder}: no ARM template or Bicep file in this folder")
        return found

    # ---- Source ----------------------------------------------------------------------------

    def collect(self, needs: Needs, progress: Callable[[str], None] | None = None) -> Collected:
        """Expand every template; rows of later templates win on duplicate ids."""
        started = time.perf_counter()
        given: dict[str, Any] = {}
        origins: dict[str, Location] = {}
        for path in self.parameter_files:
            given.update(read_parameter_file(path, origins))
        used: set[str] = set()
        rows: list[dict[str, Any]] = []
        self.expanded = []
        best_effort = any(
            p.suffix.lower() == ".bicepparam" and bicep.uses_builtin() for p in self.parameter_files
        )
        for doc, sibling in self._entries():
            best_effort = best_effort or doc.best_effort
            if progress:
                progress(f"expanding {doc.file}")
            if is_snapshot(doc):
                result = rows_of_snapshot(doc, self.deployment.tenant_id)
                self.expanded.append(result)
                rows.extend(result.rows)
                continue
            values = dict(given)
            where = dict(origins)
            if sibling is not None and not self.parameter_files:
                values = {**read_parameter_file(sibling, where), **values}
            run_values, names = load_run_values(doc, values, self.parameters)
            used |= names
            for name in self.parameters:  # a --parameter value has no file position
                where.pop(name.lower(), None)
            result = expand(doc, run_values, self.deployment, Expansion(), where)
            result.param_origins = where
            self.expanded.append(result)
            self.warnings.extend(result.warnings)
            rows.extend(result.rows)
        unused = sorted(
            n
            for n in {*(k.lower() for k in given), *(k.lower() for k in self.parameters)}
            if n not in used
        )
        if unused:
            raise InputError(
                f"parameter(s) no template declares: {', '.join(unused)} "
                f"(templates: {', '.join(e.file for e in self.expanded)})"
            )
        # peerings: child resources folded into their VNet, states decided (iac.peerings)
        rows, peering_states = peerings.prepare(rows)
        addresses = firewallips.candidates(rows)  # firewall addresses Azure assigns
        unknowns = sum(_count_unknowns(r) for r in rows)
        conditional = [i for e in self.expanded for i in e.conditional]
        description = ", ".join(e.file for e in self.expanded)
        if best_effort:
            # every report header shows the description: the label travels with it
            description += f" ({BEST_EFFORT})"
            self.warnings.append(
                "no Bicep CLI found: the built-in Bicep reader lowered the Bicep files (best "
                "effort; install the Bicep CLI or set AMLGUARD_BICEP for an exact compile)"
            )
        info = SourceInfo(
            kind="template",
            description=description,
            stats={
                "templates": len(self.expanded),
                "rows": len(rows),
                "unknowns": unknowns,
                "conditional": len(conditional),
                "seconds": round(time.perf_counter() - started, 3),
            },
            header={
                "templates": [e.file for e in self.expanded],
                "deployment": {
                    "subscription": self.deployment.subscription_id,
                    "resource_group": self.deployment.resource_group,
                    "location": self.deployment.location or "",
                },
                "conditional": conditional,
                CONDITIONS: conditions(self.expanded),  # which condition each one hangs on
                "warnings": list(self.warnings),
                # which rows are predicted: rules' iac: blocks judge these (iac.treatment)
                "template_resources": sorted(ids.norm(r["id"]) for r in rows),
                # the peerings declared and what their state is (iac.peeringworlds)
                **({peerings.PEERINGS: peering_states} if peering_states else {}),
                **({firewallips.FIREWALL_ADDRESSES: addresses} if addresses else {}),
            },
        )
        return Collected(rows, info)

    # ---- locations ---------------------------------------------------------------------------

    def locate(self, resource_id: str, path: str | None = None) -> Location | None:
        """Where a resource, or the property at ``path`` (``properties.publicNetworkAccess``),
        is written; the resource's declaration when the property is not written."""
        for result in reversed(self.expanded):
            inst = result.instances.get(ids.norm(resource_id))
            if inst is not None:
                return inst.location(_template_path(inst.decl, path))
            found = result.positions.get(ids.norm(resource_id))
            if found is not None:
                doc, at = found
                return doc.location((*at, *_template_path(_at(doc.value, at), path)))
        return None

    def related(self, resource_id: str, path: str | None = None) -> list[Location]:
        """Related locations of a finding on ``path``: where the parameter the property is
        set from gets its value (through module parameters, to the parameter file line or
        the default), then the module call sites."""
        for result in reversed(self.expanded):
            inst = result.instances.get(ids.norm(resource_id))
            if inst is None:
                continue
            out: list[Location] = []
            keys = _template_path(inst.decl, path)
            raw = _at(inst.decl, keys) if path and keys else None
            run = inst.run
            while (name := _parameter_ref(raw)) is not None:
                site = run.call_site
                if site is None:
                    decl = run.param_decls.get(name.lower())
                    origin = result.param_origins.get(name.lower())
                    if origin is None and decl is not None and "defaultValue" in decl[1]:
                        origin = run.location((*run.path, "parameters", decl[0], "defaultValue"))
                    if origin is not None:
                        out.append(origin)
                    break
                entries = (site.decl.get("properties") or {}).get("parameters") or {}
                key = next((k for k in entries if k.lower() == name.lower()), None)
                if key is None:
                    break
                out.append(site.location(("properties", "parameters", key)))
                raw = (entries[key] or {}).get("value") if isinstance(entries[key], dict) else None
                run = site.run
            return out + result.call_sites(resource_id)
        return []

    def call_sites(self, resource_id: str) -> list[Location]:
        """The nested deployments (module calls) a resource is deployed through."""
        for result in reversed(self.expanded):
            if ids.norm(resource_id) in result.instances:
                return result.call_sites(resource_id)
        return []


def _template_path(decl: Any, path: str | None) -> tuple[str | int, ...]:
    """A row property path as the exact keys written in the declaration (case-insensitive)."""
    out: list[str | int] = []
    cur = decl
    for part in (path or "").replace("[", ".").replace("]", "").split("."):
        if not part or part == "*":
            break
        if isinstance(cur, dict):
            key = next((k for k in cur if k.lower() == part.lower()), None)
            if key is None:
                break
            out.append(key)
            cur = cur[key]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            out.append(int(part))
            cur = cur[int(part)]
        else:
            break
    return tuple(out)


def _at(decl: Any, keys: tuple[str | int, ...]) -> Any:
    cur = decl
    for key in keys:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _parameter_ref(raw: Any) -> str | None:
    """``NAME`` when ``raw`` is exactly ``[parameters('NAME')]``."""
    if not isinstance(raw, str) or not is_expression(raw):
        return None
    try:
        node = parse_expression(raw)
    except ExprError:
        return None
    if node[0] == "call" and node[1].lower() == "parameters" and len(node[2]) == 1:
        arg = node[2][0]
        if arg[0] == "lit" and isinstance(arg[1], str):
            return arg[1]
    return None


def _count_unknowns(value: Any) -> int:
    if isinstance(value, Unknown):
        return 1
    if isinstance(value, dict):
        return sum(_count_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_unknowns(v) for v in value)
    return 0
