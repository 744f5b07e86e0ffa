"""A template run's parameters and variables: given, defaulted, typed, secret, evaluated once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from amlguard.iac.functions import EvalError
from amlguard.iac.paramcheck import definitions_of
from amlguard.iac.typecheck import TypeSpecError, effective
from amlguard.iac.values import Secret, Unknown

if TYPE_CHECKING:
    from amlguard.iac.evaluator import Scope
    from amlguard.iac.jsonpos import Path_


class RunInputs:
    """Parameters and variables of one run; mixed into :class:`~amlguard.iac.template.Run`."""

    if TYPE_CHECKING:
        outer: Any  # the enclosing Run of a nested deployment, or None
        path: Path_
        template: dict[str, Any]
        values: dict[str, Any]
        param_decls: dict[str, tuple[str, Any]]
        var_decls: dict[str, tuple[str, Any]]
        var_copies: dict[str, tuple[int, dict[str, Any]]]
        params: dict[str, Any]
        vars: dict[str, Any]
        busy: set[str]
        scope: Scope

        def value_at(self, raw: Any, path: Path_, scope: Scope | None = None) -> Any: ...
        def property_copy(
            self, spec: dict[str, Any], path: Path_, scope: Scope
        ) -> tuple[str, Any]: ...

    def parameter(self, name: str) -> Any:
        """The value of a parameter (given, default, or null when nullable)."""
        if self.outer is not None:
            return self.outer.parameter(name)
        low = name.lower()
        if low in self.params:
            return self.params[low]
        decl = self.param_decls.get(low)
        if decl is None:
            raise EvalError(f"parameter '{name}' is not declared")
        key, spec = decl
        if low in self.busy:
            raise EvalError(f"parameter '{name}' refers to itself")
        self.busy.add(low)
        try:
            # A user-defined securestring type is a secret too (never echoed); a secureObject
            # type is kept readable as before (AVM's connection properties are one).
            resolved = self.resolved_spec(spec)
            secure = str(resolved.get("type", "")).lower() == "securestring" or (
                str(spec.get("type", "")).lower() == "secureobject"
            )
            spec = resolved
            if low in self.values and (self.values[low] is not None or "defaultValue" not in spec):
                value = self.values[low]  # a null value takes the default, as ARM does
            elif "defaultValue" in spec:
                where = (*self.path, "parameters", key, "defaultValue")
                value = self.value_at(spec["defaultValue"], where)
            elif spec.get("nullable"):
                value = None
            else:
                raise EvalError(f"parameter '{key}' has no value")
            if secure and value is not None and not isinstance(value, (Secret, Unknown)):
                value = Secret(value, f"parameters('{key}')")
            elif secure and isinstance(value, Unknown) and not value.secret:
                value = Unknown(value.key, True, value.where)
        finally:
            self.busy.discard(low)
        self.params[low] = value
        return value

    def resolved_spec(self, spec: Any) -> dict[str, Any]:
        """A parameter declaration with its ``$ref`` to a user-defined type resolved."""
        if not isinstance(spec, dict) or "$ref" not in spec:
            return spec if isinstance(spec, dict) else {}
        try:
            return effective(spec, definitions_of(self.template))
        except TypeSpecError as exc:
            raise EvalError(str(exc)) from None

    def missing_parameters(self) -> list[str]:
        """Declared parameters with no value, no default and not nullable."""
        return [
            key
            for low, (key, spec) in self.param_decls.items()
            if low not in self.values and "defaultValue" not in spec and not self._nullable(spec)
        ]

    def _nullable(self, spec: Any) -> bool:
        try:
            return bool(self.resolved_spec(spec).get("nullable"))
        except EvalError:  # a broken $ref is reported at its declaration by the check
            return bool(isinstance(spec, dict) and spec.get("nullable"))

    def variable(self, name: str) -> Any:
        """The value of a variable (evaluated once)."""
        if self.outer is not None:
            return self.outer.variable(name)
        low = name.lower()
        if low in self.vars:
            return self.vars[low]
        busy = f"var:{low}"
        if busy in self.busy:
            raise EvalError(f"variable '{name}' refers to itself")
        self.busy.add(busy)
        try:
            if low in self.var_copies:
                i, spec = self.var_copies[low]
                _, value = self.property_copy(
                    spec, (*self.path, "variables", "copy", i), self.scope
                )
            elif low in self.var_decls and low != "copy":
                key, raw = self.var_decls[low]
                value = self.value_at(raw, (*self.path, "variables", key))
            else:
                raise EvalError(f"variable '{name}' is not declared")
        finally:
            self.busy.discard(busy)
        self.vars[low] = value
        return value
