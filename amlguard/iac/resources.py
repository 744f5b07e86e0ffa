"""Resource instances of a template run, and the functions that need the run (ids, scopes,
``reference()``, parameters, user functions)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from amlguard.iac.evaluator import Scope, Target
from amlguard.iac.functions import EvalError
from amlguard.iac.values import ResourceView, Secret, Unknown

if TYPE_CHECKING:
    from amlguard.iac.jsonpos import Path_

# amlguard.iac.template's Run (which mixes in RunFunctions below) and Expansion, named here only
# in annotations: importing them, even for type checking, would make the two modules a cycle.
Run = Any
Expansion = Any

DEPLOYMENTS = "microsoft.resources/deployments"
_SKIP_BODY = {"copy", "condition", "dependson", "existing", "comments", "_parentcopy", "resources"}


def build_id(prefix: str, type_: str, names: list[str]) -> str:
    """``{prefix}/providers/{namespace}/{type1}/{name1}/...`` for a full type and its names."""
    segments = type_.split("/")
    types = segments[1:]
    if len(names) != len(types):
        split: list[str] = []
        for n in names:
            split.extend(n.split("/") if not isinstance(n, Unknown) else [n])
        names = split
    if len(names) != len(types) or not types:
        raise EvalError(
            f"type {type_} needs {len(types)} name segment(s), got {len(names)}: {'/'.join(names)}"
        )
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"{prefix}/providers/{segments[0]}/{path}"


def _strings(name: str, args: list[Any]) -> list[str]:
    for a in args:
        if not isinstance(a, str):
            raise EvalError(f"{name}() expects string arguments, got {a!r}")
    return args


_SCHEMA_KIND = (
    ("subscriptiondeploymenttemplate", "subscription"),
    ("managementgroupdeploymenttemplate", "managementGroup"),
    ("tenantdeploymenttemplate", "tenant"),
)


def schema_kind(template: Any) -> str:
    """The deployment scope a template's ``$schema`` declares (resource group by default)."""
    schema = str(template.get("$schema", "") if isinstance(template, dict) else "").lower()
    for needle, kind in _SCHEMA_KIND:
        if needle in schema:
            return kind
    return "resourceGroup"


class ResInstance:
    """One resource a template would deploy (one iteration of a copy loop)."""

    def __init__(
        self,
        run: Run,
        symbol: str | None,
        decl: dict[str, Any],
        path: Path_,
        scope: Scope,
        index: int | None,
    ) -> None:
        self.run = run
        self.symbol = symbol
        self.decl = decl
        self.path = path
        self.scope = scope
        self.index = index
        self.condition: bool | Unknown = True
        self.existing = bool(decl.get("existing"))
        self.type = ""
        self.name: str = ""
        self.id = ""
        self.scope_id = ""  # the scope an extension resource attaches to ("" = the deployment's)
        self.target: Target = run.target
        self._body: dict[str, Any] | None = None
        self._busy = False
        self._nested: Run | None = None

    def resolve(self) -> bool:
        """Evaluate condition, type, name and id; False when the condition is false."""
        run, decl, path = self.run, self.decl, self.path
        if "condition" in decl:
            cond = run.condition_of(decl["condition"], (*path, "condition"), self.scope)
            if cond is False:
                return False
            self.condition = cond
        type_ = run.value_at(decl.get("type"), (*path, "type"), self.scope)
        if not isinstance(type_, str) or "/" not in type_:
            raise run.error(path, f"a resource needs a type like 'Namespace/type', got {type_!r}")
        self.type = type_
        name = run.value_at(decl.get("name"), (*path, "name"), self.scope)
        if isinstance(name, Secret):  # a secure value must not become an id anyone can read
            name = Unknown(name.origin, secret=True)
        if not isinstance(name, str) or not name:
            raise run.error(path, f"a resource needs a name, got {name!r}")
        self.name = name
        try:
            self.id = self._compute_id()
        except EvalError as exc:
            raise run.error(path, str(exc)) from None
        return True

    def _compute_id(self) -> str:
        run, decl, path = self.run, self.decl, self.path
        target = run.target
        if self.type.lower() == DEPLOYMENTS:
            self.target = self.nested_target()
            target = self.target
            sub, rg = target.subscription_id, target.resource_group
            if target.kind == "resourceGroup":
                prefix = f"/subscriptions/{sub}/resourceGroups/{rg}"
            elif target.kind == "subscription":
                prefix = f"/subscriptions/{sub}"
            else:
                prefix = target.scope_id
            return build_id(prefix, self.type, [self.name])
        if "scope" in decl:
            scope = run.value_at(decl["scope"], (*path, "scope"), self.scope)
            if not isinstance(scope, str):
                raise EvalError(f"'scope' must be a resource id, got {scope!r}")
            if scope.startswith("/"):
                self.scope_id = scope.rstrip("/")
            else:
                self.scope_id = f"{target.scope_id}/providers/{scope}"
            return build_id(self.scope_id, self.type, [self.name])
        if target.kind in ("resourceGroup", "subscription", "managementGroup"):
            return build_id(target.scope_id, self.type, [self.name])
        return build_id("", self.type, [self.name])

    def nested_target(self) -> Target:
        """Where a nested deployment deploys (its subscription, resource group or scope)."""
        run, decl, path = self.run, self.decl, self.path
        parent = run.target

        def field(key: str) -> Any:
            if key not in decl:
                return None
            value = run.value_at(decl[key], (*path, key), self.scope)
            return value.value if isinstance(value, Secret) else value

        sub = field("subscriptionId") or parent.subscription_id
        rg = field("resourceGroup")
        template = (decl.get("properties") or {}).get("template")
        kind = schema_kind(template) if isinstance(template, dict) else "resourceGroup"
        if rg:
            kind = "resourceGroup"
        elif kind == "resourceGroup":
            if parent.kind != "resourceGroup" and not rg:
                kind = "subscription" if parent.kind == "subscription" else parent.kind
            rg = parent.resource_group
        same = str(sub).lower() == parent.subscription_id.lower() and (
            str(rg or "").lower() == parent.resource_group.lower()
        )
        location = parent.location if same else Unknown(f"resourceGroup('{rg}').location")
        if kind == "subscription" and "location" in decl:
            location = field("location")
        mg = parent.management_group
        scope = field("scope")
        if isinstance(scope, str) and "managementgroups/" in scope.lower():
            mg = scope.rstrip("/").rsplit("/", 1)[-1]
        return Target(kind, str(sub), str(rg or ""), location, parent.tenant_id, self.name, mg)

    def body(self) -> dict[str, Any]:
        """The declaration evaluated (without loop/condition/dependency keys)."""
        if self._body is not None:
            return self._body
        if self._busy:
            raise self.run.error(self.path, f"resource {self.name} refers to its own properties")
        self._busy = True
        try:
            out: dict[str, Any] = {}
            for key, raw in self.decl.items():
                if key.lower() in _SKIP_BODY:
                    continue
                where = (*self.path, key)
                if (
                    key == "properties"
                    and self.type.lower() == DEPLOYMENTS
                    and isinstance(raw, dict)
                ):
                    out[key] = {
                        k: self.run.value_at(v, (*where, k), self.scope)
                        for k, v in raw.items()
                        if k != "template"
                    }
                else:
                    out[key] = self.run.value_at(raw, where, self.scope)
        finally:
            self._busy = False
        self._body = out
        return out

    def view_body(self) -> dict[str, Any]:
        """What ``reference(..., 'Full')`` sees: the body plus id, name and type."""
        return {**self.body(), "id": self.id, "name": self.name, "type": self.type}

    def nested_run(self) -> Run:
        """The run of this nested deployment (expanded on first use)."""
        if self._nested is None:
            self._nested = self.run.nested(self, self.body())
        return self._nested

    def location(self, prop: tuple[str | int, ...] = ()) -> Any:
        """Where this resource (or one of its properties) is written: in the Bicep source when
        the template was compiled from Bicep and the declaration is found there, else in the
        template JSON."""
        bicep = self.run.bicep
        if bicep is not None:
            same = [i.path for i in self.run.instances if i.type.lower() == self.type.lower()]
            nth = list(dict.fromkeys(same)).index(self.path) if self.path in same else 0
            module = self.type.lower() == DEPLOYMENTS  # v1 output: modules named as symbols
            line = bicep.declaration(self.symbol or (self.name if module else None), self.type, nth)
            if line is not None:
                return bicep.location(bicep.property(line, prop) if prop else line)
        return self.run.doc.location((*self.path, *prop))


class RunFunctions:
    """The template functions that need a run; mixed into :class:`~amlguard.iac.template.Run`."""

    if TYPE_CHECKING:
        target: Target
        template: dict[str, Any]
        symbols: dict[str, list[ResInstance]]
        instances: list[ResInstance]
        expanded: bool
        expansion: Expansion
        path: Path_

        def parameter(self, name: str) -> Any: ...
        def variable(self, name: str) -> Any: ...
        def expand(self) -> None: ...
        def value_at(self, raw: Any, path: Path_, scope: Scope | None = None) -> Any: ...

    def fn_parameters(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``parameters()``."""
        key = _strings(name, args[:1])[0] if args else ""
        if scope.params is not None:
            if key.lower() not in scope.params:
                raise EvalError(f"the function has no parameter '{key}'")
            return scope.params[key.lower()]
        return self.parameter(key)

    def fn_variables(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``variables()``."""
        return self.variable(_strings(name, args[:1])[0] if args else "")

    def fn_deployment(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``deployment()``."""
        t = self.target
        return {
            "name": t.deployment_name,
            "location": t.location,
            "properties": {
                "template": {"contentVersion": self.template.get("contentVersion", "1.0.0.0")},
                "mode": "Incremental",
                "provisioningState": "Accepted",
            },
        }

    def fn_resource_group(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``resourceGroup()``."""
        t = self.target
        if t.kind != "resourceGroup":
            raise EvalError(f"resourceGroup() is not available in a {t.kind} deployment")
        return {
            "id": t.scope_id,
            "name": t.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": t.location,
            "tags": {},
            "properties": {"provisioningState": "Succeeded"},
        }

    def fn_subscription(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``subscription()``."""
        t = self.target
        return {
            "id": f"/subscriptions/{t.subscription_id}",
            "subscriptionId": t.subscription_id,
            "tenantId": t.tenant_id,
            "displayName": Unknown("subscription().displayName"),
        }

    def fn_tenant(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``tenant()``."""
        return {"tenantId": self.target.tenant_id, "displayName": Unknown("tenant().displayName")}

    def fn_management_group(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``managementGroup()``."""
        mg = self.target.management_group
        return {
            "id": f"/providers/Microsoft.Management/managementGroups/{mg}",
            "name": mg,
            "type": "Microsoft.Management/managementGroups",
        }

    def fn_resource_id(self, args: list[Any], scope: Scope, name: str) -> str:
        """ARM ``resourceId()``."""
        args = _strings(name, args)
        at = next((i for i, a in enumerate(args) if "/" in a), None)
        if at is None or at > 2:
            raise EvalError("resourceId() needs a resource type like 'Namespace/type'")
        t = self.target
        sub, rg = t.subscription_id, (t.resource_group if t.kind == "resourceGroup" else "")
        if at == 1:
            rg = args[0]
        elif at == 2:
            sub, rg = args[0], args[1]
        prefix = f"/subscriptions/{sub}" + (f"/resourceGroups/{rg}" if rg else "")
        return build_id(prefix, args[at], args[at + 1 :])

    def fn_subscription_resource_id(self, args: list[Any], scope: Scope, name: str) -> str:
        """ARM ``subscriptionResourceId()``."""
        args = _strings(name, args)
        at = next((i for i, a in enumerate(args) if "/" in a), None)
        if at is None or at > 1:
            raise EvalError("subscriptionResourceId() needs a resource type")
        sub = args[0] if at == 1 else self.target.subscription_id
        return build_id(f"/subscriptions/{sub}", args[at], args[at + 1 :])

    def fn_tenant_resource_id(self, args: list[Any], scope: Scope, name: str) -> str:
        """ARM ``tenantResourceId()``."""
        args = _strings(name, args)
        return build_id("", args[0], args[1:])

    def fn_extension_resource_id(self, args: list[Any], scope: Scope, name: str) -> str:
        """ARM ``extensionResourceId()``."""
        args = _strings(name, args)
        if len(args) < 3:
            raise EvalError("extensionResourceId() takes a scope id, a type and names")
        return build_id(args[0].rstrip("/"), args[1], args[2:])

    def fn_management_group_resource_id(self, args: list[Any], scope: Scope, name: str) -> str:
        """ARM ``managementGroupResourceId()``."""
        args = _strings(name, args)
        at = next((i for i, a in enumerate(args) if "/" in a), None)
        if at is None or at > 1:
            raise EvalError("managementGroupResourceId() needs a resource type")
        mg = args[0] if at == 1 else self.target.management_group
        prefix = f"/providers/Microsoft.Management/managementGroups/{mg}"
        return build_id(prefix, args[at], args[at + 1 :])

    def call_user_function(self, name: str, args: list[Any], scope: Scope) -> Any:
        """A user-defined function of the template: ``namespace.member(args)``."""
        ns, _, member = name.partition(".")
        for i, group in enumerate(self.template.get("functions") or []):
            if not isinstance(group, dict) or str(group.get("namespace", "")).lower() != ns.lower():
                continue
            for key, spec in (group.get("members") or {}).items():
                if key.lower() != member.lower() or not isinstance(spec, dict):
                    continue
                names = [str(p.get("name", "")).lower() for p in spec.get("parameters") or []]
                inner = Scope(self, {}, {}, dict(zip(names, args, strict=False)))
                path = (*self.path, "functions", i, "members", key, "output", "value")
                return self.value_at((spec.get("output") or {}).get("value"), path, inner)
        raise EvalError(f"function '{name}' is not defined in the template")

    def fn_reference(self, args: list[Any], scope: Scope, name: str) -> Any:
        """ARM ``reference()``."""
        if not args or not isinstance(args[0], str):
            raise EvalError("reference() needs a resource id or symbolic name")
        full = len(args) > 2 and str(args[2]).lower() == "full"
        inst = self.find(args[0])
        if inst is None:
            ref = args[0]
            key = ref if ref.startswith("/") else f"{self.target.scope_id}/providers/{ref}"
            return ResourceView(key.lower(), lambda: None, full)
        if inst.type.lower() == DEPLOYMENTS:
            outputs = {"outputs": inst.nested_run().outputs()}
            return {"properties": outputs, **outputs} if full else outputs
        if inst.existing:
            return ResourceView(inst.id.lower(), lambda: None, full)
        return ResourceView(inst.id.lower(), inst.view_body, full)

    def find(self, ref: str) -> ResInstance | None:
        """The instance a ``reference()`` argument names: symbol, id, or plain name."""
        m = re.fullmatch(r"(.+)\[(\d+)\]", ref)
        if m and m.group(1).lower() in self.symbols:
            insts = self.symbols[m.group(1).lower()]
            i = int(m.group(2))
            return insts[i] if i < len(insts) else None
        if ref.lower() in self.symbols:
            return self.symbols[ref.lower()][0]
        if not self.expanded:
            self.expand()
        if ref.lower() in self.symbols:
            return self.symbols[ref.lower()][0]
        if ref.startswith("/"):
            registry = self.expansion.registry
            hit = registry.get(ref.lower().rstrip("/"))
            if hit is None and not self.expansion.all_expanded:
                self.expansion.expand_all()
                hit = registry.get(ref.lower().rstrip("/"))
            return hit
        for inst in self.instances:
            if inst.name.lower() == ref.lower():
                return inst
        return None
