"""Evaluating an expression AST in a scope: lazy and context functions, unknowns and secrets.

Unknowns flow: a function whose argument is unknown returns an unknown whose key spells the
call with its evaluated arguments (``guid('/subscriptions/...', <identity>:properties.
principalId)``), so the same computation is the same unknown; ``equals`` of one unknown with
itself is true; ``and``/``or``/``if`` still decide when the known part settles the answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlguard.iac.cloud import PUBLIC_CLOUD
from amlguard.iac.expr import Node
from amlguard.iac.functions import PURE, STRUCTURAL, EvalError, deep_equals, fn_bool
from amlguard.iac.values import ResourceView, Secret, Unknown, child, key_text


@dataclass(slots=True)
class Target:
    """Where a (nested) deployment deploys: the scope ``resourceGroup()`` and friends report."""

    kind: str  # resourceGroup | subscription | managementGroup | tenant
    subscription_id: str
    resource_group: str
    location: Any
    tenant_id: str
    deployment_name: str
    management_group: str = ""

    @property
    def scope_id(self) -> str:
        """The id of the deployment scope (what an unscoped extension resource attaches to)."""
        if self.kind == "resourceGroup":
            return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
        if self.kind == "subscription":
            return f"/subscriptions/{self.subscription_id}"
        if self.kind == "managementGroup":
            return f"/providers/Microsoft.Management/managementGroups/{self.management_group}"
        return ""


@dataclass(slots=True)
class Lambda:
    """``lambda('x', body)``: parameter names, body, and the scope it was written in."""

    params: tuple[str, ...]
    body: Node
    scope: Scope

    def __call__(self, *values: Any) -> Any:
        inner = self.scope.derive(lambdas=dict(zip(self.params, values, strict=False)))
        return evaluate(self.body, inner)


@dataclass(slots=True)
class Scope:
    """What an expression sees: its template run, loop indexes and lambda variables."""

    run: Any  # amlguard.iac.template.Run (duck-typed to avoid an import cycle)
    copies: dict[str, int] = field(default_factory=dict)
    lambdas: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] | None = None  # a user function's parameters

    def derive(self, **kw: Any) -> Scope:
        """A copy with more loop indexes or lambda variables."""
        copies = {**self.copies, **kw.get("copies", {})}
        lambdas = {**self.lambdas, **kw.get("lambdas", {})}
        return Scope(self.run, copies, lambdas, kw.get("params", self.params))


_counter = itertools.count(1)


def evaluate(node: Node, scope: Scope) -> Any:
    """The value of an expression node."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "prop":
        obj = evaluate(node[1], scope)
        try:
            return child(obj, node[2])
        except (KeyError, IndexError):
            raise EvalError(f"the property '{node[2]}' does not exist") from None
    if kind == "idx":
        obj = evaluate(node[1], scope)
        index = evaluate(node[2], scope)
        if isinstance(index, Secret):
            index = index.value
        if isinstance(index, Unknown):
            return Unknown(f"{key_text(obj)}[{index.key}]")
        if isinstance(index, float) and index.is_integer():
            index = int(index)
        try:
            return child(obj, index)
        except (KeyError, IndexError):
            raise EvalError(f"index {index!r} does not exist") from None
        except TypeError:
            raise EvalError(f"cannot index with {index!r}") from None
    name: str = node[1]
    low = name.lower()
    lazy = LAZY.get(low)
    if lazy is not None:
        return lazy(node[2], scope)
    args = [evaluate(a, scope) for a in node[2]]
    if "." in name:
        return scope.run.call_user_function(name, args, scope)
    impl = PURE.get(low) or CONTEXT.get(low)
    if impl is None and low.startswith("list"):
        impl = CONTEXT["list"]
    if impl is None:
        raise EvalError(f"function '{name}' is not supported")
    return apply(name, low, impl, args, scope)


def apply(name: str, low: str, impl: Callable[..., Any], args: list[Any], scope: Scope) -> Any:
    """Call a function implementation, propagating unknowns and secrets."""
    if low not in STRUCTURAL and low not in _KNOWS_UNKNOWNS:
        secret = None
        for i, a in enumerate(args):
            if isinstance(a, ResourceView):
                args[i] = a = a.as_dict()
            if isinstance(a, Unknown):
                if low == "equals" and len(args) == 2 and args[0] == args[1]:
                    return True
                shown = ", ".join(key_text(x) for x in args)
                return Unknown(f"{name}({shown})", any(isinstance(x, Secret) for x in args))
            if isinstance(a, Secret):
                secret = a
        if secret is not None:
            plain = [x.value if isinstance(x, Secret) else x for x in args]
            result = _call(name, impl, plain, scope, low)
            if result is None or isinstance(result, (bool, int, float)):
                return result
            return Secret(result, secret.origin)
    return _call(name, impl, args, scope, low)


def _call(name: str, impl: Callable[..., Any], args: list[Any], scope: Scope, low: str) -> Any:
    try:
        if low in CONTEXT or low.startswith("list"):
            return impl(args, scope, name)
        return impl(args)
    except EvalError:
        raise
    except (IndexError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise EvalError(f"{name}(): invalid arguments ({type(exc).__name__}: {exc})") from None


# ---- lazy functions: receive unevaluated argument nodes -------------------------------------


def _if(nodes: Sequence[Node], scope: Scope) -> Any:
    if len(nodes) != 3:
        raise EvalError(f"if() takes 3 arguments, got {len(nodes)}")
    cond = evaluate(nodes[0], scope)
    if isinstance(cond, Secret):
        cond = cond.value
    if isinstance(cond, Unknown):
        # Either branch may be the one deployed; one that cannot be evaluated (it reads what
        # only the other case creates) is not an error before deployment.
        try:
            a, b = evaluate(nodes[1], scope), evaluate(nodes[2], scope)
        except EvalError:
            return Unknown(f"if({cond.key}, ...)")
        return a if deep_equals(a, b) else Unknown(f"if({cond.key}, {key_text(a)}, {key_text(b)})")
    return evaluate(nodes[1] if fn_bool([cond]) else nodes[2], scope)


def _logic(is_and: bool) -> Callable[[Sequence[Node], Scope], Any]:
    def impl(nodes: Sequence[Node], scope: Scope) -> Any:
        unknown: Unknown | None = None
        for n in nodes:
            v = evaluate(n, scope)
            if isinstance(v, Secret):
                v = v.value
            if isinstance(v, Unknown):
                unknown = unknown or v
                continue
            if fn_bool([v]) is not is_and:
                return not is_and
        if unknown is not None:
            return Unknown(f"{'and' if is_and else 'or'}({unknown.key}, ...)")
        return is_and

    return impl


def _coalesce(nodes: Sequence[Node], scope: Scope) -> Any:
    for n in nodes:
        v = evaluate(n, scope)
        if isinstance(v, Unknown):
            return Unknown(f"coalesce({v.key}, ...)")
        if v is not None:
            return v
    return None


def _lambda(nodes: Sequence[Node], scope: Scope) -> Lambda:
    if not nodes:
        raise EvalError("lambda() needs a body")
    names = []
    for n in nodes[:-1]:
        if n[0] != "lit" or not isinstance(n[1], str):
            raise EvalError("lambda() parameter names must be string literals")
        names.append(n[1])
    return Lambda(tuple(names), nodes[-1], scope)


LAZY: dict[str, Callable[[Sequence[Node], Scope], Any]] = {
    "if": _if,
    "and": _logic(True),
    "or": _logic(False),
    "coalesce": _coalesce,
    "lambda": _lambda,
}

_KNOWS_UNKNOWNS = frozenset({"lambdavariables", "parameters", "variables", "copyindex"})


# ---- context functions: receive (args, scope, name) -----------------------------------------


def _fn(args: list[Any], name: str, position: int) -> Lambda:
    if len(args) <= position or not isinstance(args[position], Lambda):
        raise EvalError(f"{name}() expects a lambda as argument {position + 1}")
    return args[position]


def _array(args: list[Any], name: str) -> list[Any]:
    value = args[0] if args else None
    if isinstance(value, dict) and name.lower() in ("mapvalues",):
        return list(value.items())
    if not isinstance(value, list):
        raise EvalError(f"{name}() expects an array")
    return value


def _map(args: list[Any], scope: Scope, name: str) -> list[Any]:
    f = _fn(args, name, 1)
    return [f(x, i) for i, x in enumerate(_array(args, name))]


def _filter(args: list[Any], scope: Scope, name: str) -> list[Any]:
    f = _fn(args, name, 1)
    out = []
    for i, x in enumerate(_array(args, name)):
        keep = f(x, i)
        if isinstance(keep, Unknown):
            raise EvalError(f"filter(): the condition is unknown before deployment ({keep.key})")
        if fn_bool([keep]):
            out.append(x)
    return out


def _reduce(args: list[Any], scope: Scope, name: str) -> Any:
    f = _fn(args, name, 2)
    acc = args[1]
    for i, x in enumerate(_array(args, name)):
        acc = f(acc, x, i)
    return acc


def _sort(args: list[Any], scope: Scope, name: str) -> list[Any]:
    import functools

    f = _fn(args, name, 1)

    def cmp(a: Any, b: Any) -> int:
        return -1 if fn_bool([f(a, b)]) else (1 if fn_bool([f(b, a)]) else 0)

    return sorted(_array(args, name), key=functools.cmp_to_key(cmp))


def _to_object(args: list[Any], scope: Scope, name: str) -> dict[str, Any]:
    key_f = _fn(args, name, 1)
    value_f = args[2] if len(args) > 2 and isinstance(args[2], Lambda) else None
    out: dict[str, Any] = {}
    for x in _array(args, name):
        out[str(key_f(x))] = value_f(x) if value_f else x
    return out


def _map_values(args: list[Any], scope: Scope, name: str) -> dict[str, Any]:
    f = _fn(args, name, 1)
    if not isinstance(args[0], dict):
        raise EvalError("mapValues() expects an object")
    return {k: f(v) for k, v in args[0].items()}


def _group_by(args: list[Any], scope: Scope, name: str) -> dict[str, Any]:
    f = _fn(args, name, 1)
    out: dict[str, list[Any]] = {}
    for x in _array(args, name):
        out.setdefault(str(f(x)), []).append(x)
    return out


def _lambda_variables(args: list[Any], scope: Scope, name: str) -> Any:
    key = args[0] if args else None
    if not isinstance(key, str) or key not in scope.lambdas:
        raise EvalError(f"lambdaVariables(): no lambda variable {key!r} here")
    return scope.lambdas[key]


def _copy_index(args: list[Any], scope: Scope, name: str) -> int:
    loop = ""
    offset = 0
    for a in args:
        if isinstance(a, str):
            loop = a.lower()
        elif isinstance(a, int) and not isinstance(a, bool):
            offset = a
    if loop not in scope.copies:
        where = f"loop '{loop}'" if loop else "a copy loop"
        raise EvalError(f"copyIndex() is used outside {where}")
    return scope.copies[loop] + offset


def _unknown(text: str, secret: bool = False) -> Callable[[list[Any], Scope, str], Unknown]:
    return lambda args, scope, name: Unknown(
        f"{name}({', '.join(key_text(a) for a in args)})" if args else text, secret
    )


def _new_guid(args: list[Any], scope: Scope, name: str) -> Unknown:
    return Unknown(f"newGuid()#{next(_counter)}")


def _fail(args: list[Any], scope: Scope, name: str) -> Any:
    raise EvalError(f"the template calls fail(): {args[0] if args else ''}")


def _run(attr: str) -> Callable[[list[Any], Scope, str], Any]:
    return lambda args, scope, name: getattr(scope.run, attr)(args, scope, name)


CONTEXT: dict[str, Callable[[list[Any], Scope, str], Any]] = {
    "map": _map,
    "filter": _filter,
    "reduce": _reduce,
    "sort": _sort,
    "toobject": _to_object,
    "mapvalues": _map_values,
    "groupby": _group_by,
    "lambdavariables": _lambda_variables,
    "copyindex": _copy_index,
    "environment": lambda args, scope, name: PUBLIC_CLOUD,
    "utcnow": _unknown("utcNow()"),
    "newguid": _new_guid,
    "deployer": lambda args, scope, name: {
        "objectId": Unknown("deployer().objectId"),
        "tenantId": scope.run.target.tenant_id,
        "userPrincipalName": Unknown("deployer().userPrincipalName"),
    },
    "pickzones": _unknown("pickZones()"),
    "providers": _unknown("providers()"),
    "datetimeadd": _unknown("dateTimeAdd()"),
    "datetimefromepoch": _unknown("dateTimeFromEpoch()"),
    "datetimetoepoch": _unknown("dateTimeToEpoch()"),
    "list": _unknown("list()", secret=True),
    "fail": _fail,
    "parameters": _run("fn_parameters"),
    "variables": _run("fn_variables"),
    "deployment": _run("fn_deployment"),
    "resourcegroup": _run("fn_resource_group"),
    "subscription": _run("fn_subscription"),
    "tenant": _run("fn_tenant"),
    "managementgroup": _run("fn_management_group"),
    "resourceid": _run("fn_resource_id"),
    "subscriptionresourceid": _run("fn_subscription_resource_id"),
    "tenantresourceid": _run("fn_tenant_resource_id"),
    "extensionresourceid": _run("fn_extension_resource_id"),
    "managementgroupresourceid": _run("fn_management_group_resource_id"),
    "reference": _run("fn_reference"),
}


def supported(name: str) -> bool:
    """Whether a function name (as written) is one the evaluator knows."""
    low = name.lower()
    return low in PURE or low in CONTEXT or low in LAZY or low.startswith("list") or "." in low
