"""Writing the ARM template of a collected Bicep file (see :mod:`amlguard.iac.bicepfile`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amlguard.iac.bicepexpr import BicepError, json_value, literal_string, text_of, unsupported
from amlguard.iac.bicepread import param_type, registry_module, schema_for
from amlguard.iac.biceptypes import TypeLowering

# the declarations' types (amlguard.iac.bicepfile imports this module)
FileLowering = Any
Decl = Any

_ALLOWED_DECORATORS = {
    "description",
    "sys.description",
    "metadata",
    "minlength",
    "maxlength",
    "minvalue",
    "maxvalue",
    "sys.minlength",
    "sys.maxlength",
    "sys.minvalue",
    "sys.maxvalue",
    "secure",
    "sys.secure",
    "allowed",
    "sys.allowed",
    "batchsize",
    "export",
}
_BOUNDS = {
    "minvalue": "minValue",
    "maxvalue": "maxValue",
    "minlength": "minLength",
    "maxlength": "maxLength",
}
_MODULE_KEYS = {"name", "params", "scope", "dependson"}


def _after_equals(node: Any) -> Any:
    """The value node after a declaration's ``=``."""
    seen = False
    for child in node.children:
        if seen and child.is_named and child.type != "comment":
            return child
        if not child.is_named and child.type == "=":
            seen = True
    return None


def _type_node(node: Any) -> Any:
    return next((c for c in node.named_children if c.type == "type"), None)


def write_template(fl: FileLowering) -> dict[str, Any]:
    """The template of ``fl``, positions recorded in ``fl.offsets``."""
    out: dict[str, Any] = {
        "$schema": schema_for(fl.scope),
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
    }
    params: dict[str, Any] = {}
    types = TypeLowering(fl.type_decls)
    if fl.type_decls:
        out["definitions"] = types.definitions()
    for name, (node, decorators) in fl.params.items():
        type_node = _type_node(node)
        spec = param_type(type_node, decorators)
        declared = types.param_spec(type_node) if type_node is not None else None
        if declared is not None and "$ref" in declared:
            spec.pop("type", None)  # as bicep build writes it: the type is the definition's
        elif declared is not None:
            declared.pop("type", None)  # the parameter's own (it knows @secure)
        spec.update(declared or {})
        if type_node is not None and fl.nullable_type(type_node):
            spec["nullable"] = True
        for deco, args in decorators:
            if deco in ("allowed", "sys.allowed") and args:
                spec["allowedValues"] = json_value(fl.lower, args[0], {})
            elif deco.removeprefix("sys.") in _BOUNDS and args:
                spec[_BOUNDS[deco.removeprefix("sys.")]] = json_value(fl.lower, args[0], {})
            elif deco not in _ALLOWED_DECORATORS:
                raise unsupported(fl.file, node, f"decorator @{deco}")
        default = _after_equals(node)
        fl.at(("parameters", name), node)
        if default is not None:
            spec["defaultValue"] = json_value(fl.lower, default, {})
            fl.at(("parameters", name, "defaultValue"), default)
        params[name] = spec
    out["parameters"] = params
    variables: dict[str, Any] = {}
    for name, node in fl.vars.items():
        value = _after_equals(node)
        if value is None:
            raise unsupported(fl.file, node, "this variable")
        variables[name] = json_value(fl.lower, value, {})
        fl.at(("variables", name), node)
        fl.at_value(("variables", name), value)
    out["variables"] = variables
    if fl.funcs:
        members = {name: _function(fl, name, node) for name, node in fl.funcs.items()}
        out["functions"] = [{"namespace": "__bicep", "members": members}]
    out["resources"] = {sym: _resource(fl, decl) for sym, decl in fl.decls.items()}
    outputs: dict[str, Any] = {}
    for name, node in fl.outputs.items():
        value = _after_equals(node)
        type_node = _type_node(node)
        kind = text_of(type_node) if type_node is not None else "object"
        if value is None:
            raise unsupported(fl.file, node, "this output")
        outputs[name] = {
            "type": kind if kind in ("string", "int", "bool", "array") else "object",
            "value": json_value(fl.lower, value, {}),
        }
        fl.at(("outputs", name), node)
    out["outputs"] = outputs
    return out


def _function(fl: FileLowering, name: str, node: Any) -> dict[str, Any]:
    owner = fl.func_files[name]
    plist = node.child_by_field_name("parameters") or next(
        (c for c in node.named_children if c.type == "parameters"), None
    )
    names = []
    for param in plist.named_children if plist is not None else []:
        if param.type == "parameter":
            names.append(text_of(param.named_children[0]))
    body = node.named_children[-1]
    env = {p: f"parameters('{p}')" for p in names}
    return {
        "parameters": [{"name": p, "type": "any"} for p in names],
        "output": {"type": "any", "value": "[" + owner.lower.expr(body, env) + "]"},
    }


def _resource(fl: FileLowering, decl: Decl) -> dict[str, Any]:
    base = ("resources", decl.symbol)
    fl.at(base, decl.node)
    entry: dict[str, Any] = {"type": decl.type, "apiVersion": decl.api}
    if decl.kind == "resource" and ("/" not in decl.type or not decl.api):
        raise BicepError(
            f"{fl.file}:{decl.node.start_point[0] + 1}:{decl.node.start_point[1] + 1}: resource "
            f"type '{decl.type}@{decl.api}' is not 'Namespace/type@apiVersion'"
        )
    if decl.existing:
        entry["existing"] = True
    env = fl.loop_env(decl, None)
    if decl.cond is not None:
        entry["condition"] = "[" + fl.lower.expr(decl.cond, env) + "]"
    if decl.loop is not None:
        items = fl._indexes(decl) if decl.loop[3] is not None else fl.lower.expr(decl.loop[2], {})
        entry["copy"] = {"name": decl.symbol, "count": f"[length({items})]"}
    entry["name"] = "[" + fl.name_expr(decl, None) + "]"
    if "name" in decl.props:
        fl.at((*base, "name"), decl.props["name"][2])
    if decl.kind == "module":
        return _module(fl, decl, entry, env)
    scope = fl._scope_id(decl)
    if scope is not None:
        entry["scope"] = "[" + scope + "]"
    for low, (key, value, prop) in decl.props.items():
        if low in ("name", "parent", "scope", "dependson"):
            continue
        entry[key] = json_value(fl.lower, value, env)
        fl.at((*base, key), prop)
        fl.at_value((*base, key), value)
    return entry


def _module(fl: FileLowering, decl: Decl, entry: dict[str, Any], env: dict[str, str]) -> Any:
    base = ("resources", decl.symbol)
    for low, (_, _, prop) in decl.props.items():
        if low not in _MODULE_KEYS:
            raise unsupported(fl.file, prop, f"module property '{low}'")
    ref = decl.ref
    if ref.startswith(("br:", "br/", "ts:", "ts/")):
        link = str(registry_module(fl.file, decl.node, ref))
    else:
        target = (fl.path.parent / ref).resolve()
        if target.suffix.lower() not in (".bicep", ".json") or not target.is_file():
            raise BicepError(
                f"{fl.file}:{decl.node.start_point[0] + 1}:{decl.node.start_point[1] + 1}: "
                f"module file '{ref}' not found"
            )
        link = ref
    parameters: dict[str, Any] = {}
    if "params" in decl.props:
        _, node, prop = decl.props["params"]
        fl.at((*base, "properties"), prop)
        fl.at((*base, "properties", "parameters"), prop)
        if node.type != "object":
            raise unsupported(fl.file, node, "module params that are not an object")
        for item in node.named_children:
            if item.type != "object_property":
                continue
            key, value = fl.lower.property(item)
            parameters[key] = {"value": json_value(fl.lower, value, env)}
            fl.at((*base, "properties", "parameters", key), item)
            fl.at((*base, "properties", "parameters", key, "value"), value)
            fl.at_value((*base, "properties", "parameters", key, "value"), value)
    entry["properties"] = {
        "expressionEvaluationOptions": {"scope": "inner"},
        "mode": "Incremental",
        "templateLink": {"relativePath": link},
        "parameters": parameters,
    }
    if "scope" in decl.props:
        _module_scope(fl, decl.props["scope"][1], entry, env)
    return entry


def _module_scope(fl: FileLowering, node: Any, entry: dict[str, Any], env: dict[str, str]) -> None:
    """``scope: resourceGroup('rg')`` / ``resourceGroup(sub, 'rg')`` of a module, or the symbol
    of a resource group the file declares (``scope: rg``)."""
    if node.type == "identifier" and text_of(node) in fl.decls:
        group = fl.decls[text_of(node)]
        if group.kind == "resource" and group.type.lower() == "microsoft.resources/resourcegroups":
            entry["resourceGroup"] = "[" + fl.name_expr(group, None) + "]"
            return
    if node.type == "call_expression":
        func = text_of(node.child_by_field_name("function")).lower().removeprefix("az.")
        args = [a for a in node.child_by_field_name("arguments").named_children]
        lowered = ["[" + fl.lower.expr(a, env) + "]" for a in args]
        if func == "resourcegroup" and 1 <= len(args) <= 2:
            entry["resourceGroup"] = lowered[-1]
            if len(args) == 2:
                entry["subscriptionId"] = lowered[0]
            return
        if func == "resourcegroup" and not args:
            return
    raise unsupported(fl.file, node, "this module 'scope'")


__all__ = ["Path", "literal_string", "write_template"]
