"""Expanding an ARM template (languageVersion 1 and 2.0) into the resources it would deploy.

One :class:`Run` per template (the top-level one, and one per nested deployment): parameters
(values, defaults, ``nullable``; secure ones become :class:`Secret`), variables (lazy, with
``copy``), user functions, resources (an array, or symbolic names in 2.0) with ``copy``,
``condition``, ``existing``, ``scope``, and nested ``Microsoft.Resources/deployments`` with an
inline template or a ``templateLink.relativePath`` (``inner`` and ``outer`` evaluation scopes,
other subscriptions and resource groups). Everything is evaluated lazily and memoised, so
``dependsOn`` order does not matter; ``reference()`` of a resource in any of the runs sees its
declared properties, of anything else an unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.iac import bicepmap
from amlguard.iac.bicepmap import BicepFile
from amlguard.iac.evaluator import Scope, Target, evaluate
from amlguard.iac.expr import ExprError, is_expression, parse_expression, unescape
from amlguard.iac.functions import EvalError, fn_bool
from amlguard.iac.jsonpos import JsonDoc, Location, Path_, read_json
from amlguard.iac.paramcheck import check_parameters
from amlguard.iac.resources import ResInstance, RunFunctions
from amlguard.iac.runinputs import RunInputs
from amlguard.iac.values import Secret, Unknown

DEPLOYMENTS = "microsoft.resources/deployments"
MAX_DEPTH = 30  # nested deployments; ARM itself stops at 50 (a cycle must not recurse forever)
_CONTROL = {"copy", "condition", "dependson", "existing", "comments", "import"}


class TemplateError(InputError):
    """A template that cannot be expanded; the message starts with ``file:line:col``."""


class Expansion:
    """State shared by every run of one template: the id registry and every instance."""

    def __init__(self) -> None:
        self.registry: dict[str, ResInstance] = {}
        self.runs: list[Run] = []
        self.docs: dict[str, JsonDoc] = {}
        self.all_expanded = False
        self._expanding = False

    def expand_all(self) -> None:
        """Expand every run, so an id lookup can find resources of any nested deployment."""
        if self._expanding or not self.runs:
            return
        self._expanding = True
        try:
            for _ in self.runs[0].all_instances():
                pass
            self.all_expanded = True
        except TemplateError:
            pass  # reported where the main walk meets it
        finally:
            self._expanding = False

    def load(self, path: Path) -> JsonDoc:
        """A JSON file, read once per expansion."""
        key = str(path)
        if key not in self.docs:
            if path.suffix.lower() == ".bicep":  # a module of a Bicep file the reader lowers
                from amlguard.iac.bicepfile import lower_file

                self.docs[key] = lower_file(path)
            else:
                self.docs[key] = read_json(path)
        return self.docs[key]


class Run(RunInputs, RunFunctions):
    """One template being deployed to one target with one set of parameter values."""

    def __init__(
        self,
        expansion: Expansion,
        doc: JsonDoc,
        path: Path_,
        target: Target,
        values: dict[str, Any],
        call_site: ResInstance | None = None,
        outer: Run | None = None,
    ) -> None:
        self.expansion = expansion
        self.doc = doc
        self.path = path
        self.target = target
        self.call_site = call_site
        self.outer = outer
        template = doc.value
        for part in path:
            template = template[part]
        if not isinstance(template, dict):
            raise self.error(path, "a template must be a JSON object")
        self.template: dict[str, Any] = template
        self.values = {k.lower(): v for k, v in values.items()}
        self.param_decls = _lower_map(template.get("parameters"))
        self.var_decls = _lower_map(template.get("variables"))
        self.var_copies = {
            str(c.get("name", "")).lower(): (i, c)
            for i, c in enumerate(template.get("variables", {}).get("copy") or [])
            if isinstance(c, dict)
        }
        self.params: dict[str, Any] = {}
        self.vars: dict[str, Any] = {}
        self.busy: set[str] = set()
        self.instances: list[ResInstance] = []
        self.symbols: dict[str, list[ResInstance]] = {}
        self.expanded = False
        self.outputs_cache: dict[str, Any] | None = None
        self.scope = Scope(self)
        self.bicep = self._bicep_source()
        expansion.runs.append(self)

    def _bicep_source(self) -> BicepFile | None:
        """The Bicep file this run's template was compiled from (for locations), if known."""
        if self.outer is not None:
            return self.outer.bicep
        if self.call_site is None:
            return bicepmap.load(Path(self.doc.source)) if self.doc.source else None
        parent = self.call_site.run.bicep
        if parent is None:
            return None
        # languageVersion 1 output has no symbols: modules are often named after them
        return parent.module_file(self.call_site.symbol or self.call_site.name)

    # ---- errors and evaluation of JSON values ------------------------------------------------

    def location(self, path: Path_) -> Location:
        """Where a path of this document is written."""
        return self.doc.location(path)

    def error(self, path: Path_, message: str) -> TemplateError:
        """An input error at a template position."""
        return TemplateError(f"{self.location(path)}: {_CONTROL_CHARS.sub('?', message)}")

    def value_at(self, raw: Any, path: Path_, scope: Scope | None = None) -> Any:
        """Evaluate a JSON value of this template: expressions, property ``copy``, nested keys."""
        scope = scope or self.scope
        if isinstance(raw, str):
            if not is_expression(raw):
                return unescape(raw)
            try:
                value = evaluate(parse_expression(raw), scope)
            except ExprError as exc:
                raise self.error(path, f"invalid expression (column {exc.column}): {exc}") from None
            except EvalError as exc:
                raise self.error(path, f"{exc} in {_short(raw)}") from None
            except RecursionError:
                raise self.error(path, f"expression nested too deeply: {_short(raw)}") from None
            if isinstance(value, Unknown) and not value.where:
                loc = self.location(path)
                value = Unknown(value.key, value.secret, f"{loc.file}:{loc.line}")
            return value
        if isinstance(raw, list):
            return [self.value_at(v, (*path, i), scope) for i, v in enumerate(raw)]
        if isinstance(raw, dict):
            out: dict[str, Any] = {}
            for key, v in raw.items():
                if key == "copy" and _is_property_copy(v):
                    for i, spec in enumerate(v):
                        name, items = self.property_copy(spec, (*path, "copy", i), scope)
                        out[name] = items
                    continue
                k = self.value_at(key, (*path, key), scope) if is_expression(key) else key
                out[str(k)] = self.value_at(v, (*path, key), scope)
            return out
        return raw

    def property_copy(self, spec: dict[str, Any], path: Path_, scope: Scope) -> tuple[str, Any]:
        """``{"copy": [{"name", "count", "input"}]}`` inside properties or variables."""
        name = str(spec.get("name", ""))
        count = self.count_of(spec.get("count"), (*path, "count"), scope)
        items = []
        for i in range(count):
            # copyIndex() without a name still means the resource's loop (outputs: this one)
            inner = scope.derive(copies={name.lower(): i})
            items.append(self.value_at(spec.get("input"), (*path, "input"), inner))
        return name, items

    def count_of(self, raw: Any, path: Path_, scope: Scope) -> int:
        """A copy loop's count: a known, non-negative integer (an unknown count is an error)."""
        count = self.value_at(raw, path, scope)
        if isinstance(count, Secret):
            count = count.value
        if isinstance(count, Unknown):
            raise self.error(path, f"the copy count is unknown before deployment: {count.key}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 800:
            shown = count if isinstance(count, int) else type(count).__name__
            raise self.error(path, f"the copy count must be an integer 0..800, got {shown}")
        return count

    def condition_of(self, raw: Any, path: Path_, scope: Scope) -> bool | Unknown:
        """A ``condition``: true, false, or unknown before deployment."""
        value = self.value_at(raw, path, scope)
        if isinstance(value, Secret):
            value = value.value
        if isinstance(value, Unknown):
            return value
        try:
            return fn_bool([value])
        except EvalError:
            shown = type(value).__name__  # never the value: it may come from a secret
            raise self.error(path, f"a condition must be a boolean, got a {shown}") from None

    # ---- resources -------------------------------------------------------------------------

    def declarations(self) -> Iterator[tuple[str | None, dict[str, Any], Path_]]:
        """(symbolic name or None, declaration, path) of every resource of the template."""
        resources = self.template.get("resources") or []
        if isinstance(resources, dict):
            for sym, decl in resources.items():
                if isinstance(decl, dict):
                    yield sym, decl, (*self.path, "resources", sym)
        elif isinstance(resources, list):
            for i, decl in enumerate(resources):
                if isinstance(decl, dict):
                    yield None, decl, (*self.path, "resources", i)
                    yield from self._children(decl, (*self.path, "resources", i))
        else:
            raise self.error((*self.path, "resources"), "'resources' must be an array or object")

    def _children(
        self, parent: dict[str, Any], path: Path_
    ) -> Iterator[tuple[str | None, dict[str, Any], Path_]]:
        """languageVersion 1 child resources declared inside their parent (short type/name)."""
        for i, decl in enumerate(parent.get("resources") or []):
            if not isinstance(decl, dict):
                continue
            full = dict(decl)
            full["type"] = f"{parent.get('type')}/{decl.get('type')}"
            if "name" in decl and "name" in parent:
                full["name"] = _join_names(parent["name"], decl["name"])
            full.setdefault("_parentCopy", parent.get("copy"))
            yield None, full, (*path, "resources", i)
            yield from self._children(full, (*path, "resources", i))

    def expand(self) -> None:
        """Create every resource instance (copy loops, conditions, names and ids)."""
        if self.expanded:
            return
        self.expanded = True
        for sym, decl, path in self.declarations():
            copy = decl.get("copy") or decl.get("_parentCopy")
            if isinstance(copy, dict):
                loop = str(copy.get("name", "")).lower()
                count = self.count_of(copy.get("count"), (*path, "copy", "count"), self.scope)
                scopes = [self.scope.derive(copies={loop: i, "": i}) for i in range(count)]
            else:
                scopes = [self.scope]
            for index, scope in enumerate(scopes):
                inst = ResInstance(self, sym, decl, path, scope, index if copy else None)
                if not inst.resolve():
                    continue
                self.instances.append(inst)
                if sym:
                    self.symbols.setdefault(sym.lower(), []).append(inst)
                if not inst.existing:
                    self.expansion.registry.setdefault(inst.id.lower(), inst)

    def depth(self) -> int:
        """How many nested deployments deep this run is."""
        return 0 if self.call_site is None else self.call_site.run.depth() + 1

    def nested(self, inst: ResInstance, body: dict[str, Any]) -> Run:
        """The run of a nested deployment's template."""
        if self.depth() >= MAX_DEPTH:
            raise self.error(
                inst.path,
                f"nested deployments deeper than {MAX_DEPTH} (a template that links itself?)",
            )
        props = inst.decl.get("properties") or {}
        evaluated = body.get("properties") or {}
        mode = str((evaluated.get("expressionEvaluationOptions") or {}).get("scope", "outer"))
        doc, path = self.doc, (*inst.path, "properties", "template")
        if "template" not in props:
            link = evaluated.get("templateLink") or {}
            rel = link.get("relativePath") if isinstance(link, dict) else None
            if not isinstance(rel, str):
                raise self.error(
                    inst.path,
                    "a linked template (templateLink by URI or id) cannot be read before "
                    "deployment; inline it (bicep build does) or use templateLink.relativePath",
                )
            doc = self.expansion.load(Path(self.doc.file).parent / rel)
            path = ()
        values: dict[str, Any] = {}
        for name, entry in (evaluated.get("parameters") or {}).items():
            if isinstance(entry, dict) and "reference" in entry and "value" not in entry:
                secret = (entry.get("reference") or {}).get("secretName", name)
                values[name] = Unknown(f"key vault secret {secret}", secret=True)
            elif isinstance(entry, dict):
                values[name] = entry.get("value")
        target = inst.target
        outer = self if mode.lower() == "outer" and doc is self.doc else None
        run = Run(self.expansion, doc, path, target, values, inst, outer)
        if outer is None:
            names = {n.lower(): n for n in values}
            call = (*inst.path, "properties", "parameters")
            check_parameters(
                run, lambda low: f"the call at {self.location((*call, names[low], 'value'))}"
            )
        return run

    def outputs(self) -> dict[str, Any]:
        """The template's outputs, ``{name: {"type": ..., "value": ...}}`` (evaluated once)."""
        if self.outputs_cache is None:
            self.expand()
            self.outputs_cache = {}
            for name, spec in (self.template.get("outputs") or {}).items():
                if not isinstance(spec, dict):
                    continue
                path = (*self.path, "outputs", name)
                if "condition" in spec:
                    ok = self.condition_of(spec["condition"], (*path, "condition"), self.scope)
                    if ok is False:
                        continue
                if isinstance(spec.get("copy"), dict):
                    _, value = self.property_copy(
                        {"name": "", **spec["copy"]}, (*path, "copy"), self.scope
                    )
                else:
                    value = self.value_at(spec.get("value"), (*path, "value"))
                self.outputs_cache[name] = {"type": spec.get("type"), "value": value}
        return self.outputs_cache

    def all_instances(self) -> Iterator[ResInstance]:
        """Every resource instance of this run and its nested deployments, in order."""
        self.expand()
        for inst in self.instances:
            yield inst
            if inst.type.lower() == DEPLOYMENTS and not inst.existing:
                yield from inst.nested_run().all_instances()


def _lower_map(section: Any) -> dict[str, tuple[str, Any]]:
    if not isinstance(section, dict):
        return {}
    return {str(k).lower(): (str(k), v) for k, v in section.items()}


def _is_property_copy(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(c, dict) and "input" in c for c in value)
    )


def _join_names(parent: str, name: str) -> str:
    """A v1 child's full name: ``[concat(parentName, '/', childName)]`` as one expression."""

    def inner(text: str) -> str:
        if is_expression(text):
            return text[1:-1]
        return "'" + unescape(text).replace("'", "''") + "'"

    if not is_expression(parent) and not is_expression(name):
        return f"{unescape(parent)}/{unescape(name)}"
    return f"[concat({inner(parent)}, '/', {inner(name)})]"


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _short(text: str) -> str:
    """Template text for a message: shortened, control characters (terminal escapes) shown
    as ``\\xNN`` so a hostile template cannot drive the reader's terminal."""
    text = _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= 120 else text[:117] + "..."
