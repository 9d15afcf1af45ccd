"""A state's input, output and variables, in its query language.

JSONPath: ``InputPath`` -> ``Parameters`` -> work -> ``ResultSelector`` -> ``ResultPath``
-> ``OutputPath``; ``Assign`` reads the result with paths. JSONata: ``Arguments`` ->
work -> ``Output`` (default: the result, or the input for states without one) and
``Assign``, both reading ``$states.input`` / ``$states.result`` and the variables as they
were before the state (AWS evaluates them side by side).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import jsonata_eval, payload
from .payload import Scope

_MISSING = object()


@dataclass
class StateIo:
    state: dict[str, Any]
    language: str  # "JSONPath" or "JSONata"
    raw_input: Any
    context: dict[str, Any]
    variables: dict[str, Any]

    @property
    def jsonata(self) -> bool:
        return self.language == "JSONata"

    def states(self, **extra: Any) -> dict[str, Any]:
        return {"input": self.raw_input, "context": self.context, **extra}

    def scope(self, document: Any) -> Scope:
        return Scope(document, self.context, self.variables)

    def value(self, field: str, **extra: Any) -> Any:
        """A field that may be a JSONata expression (``Seconds``, ``Items``, ``Error``...)."""
        raw = self.state.get(field)
        if self.jsonata:
            return jsonata_eval.resolve(raw, self.states(**extra), self.variables)
        return raw

    def effective_input(self, template_field: str = "Parameters") -> Any:
        """What the state works on: InputPath then Parameters; or JSONata Arguments."""
        if self.jsonata:
            if "Arguments" in self.state:
                return jsonata_eval.resolve(self.state["Arguments"], self.states(), self.variables)
            return self.raw_input
        selected = payload.select(
            self.scope(self.raw_input), self.state.get("InputPath", "$"), "InputPath"
        )
        if template_field in self.state:
            return payload.template(self.state[template_field], self.scope(selected))
        return selected

    def selected_input(self) -> Any:
        """JSONPath InputPath alone (Map's ItemsPath and a Choice read this)."""
        if self.jsonata:
            return self.raw_input
        return payload.select(
            self.scope(self.raw_input), self.state.get("InputPath", "$"), "InputPath"
        )

    def output(self, result: Any = _MISSING) -> tuple[Any, dict[str, Any]]:
        """The state's output and the variables it assigns."""
        has_result = result is not _MISSING
        if self.jsonata:
            extra = {"result": result} if has_result else {}
            assigned = self._assign_jsonata(extra)
            if "Output" in self.state:
                out = jsonata_eval.resolve(
                    self.state["Output"], self.states(**extra), self.variables
                )
            else:
                out = result if has_result else self.raw_input
            return out, assigned
        if has_result and "ResultSelector" in self.state:
            result = payload.template(self.state["ResultSelector"], self.scope(result))
        assigned = self._assign_jsonpath(result if has_result else self.raw_input)
        if has_result:
            merged = payload.merge_result(
                self.raw_input,
                result,
                self.state.get("ResultPath", "$"),
            )
        else:
            merged = self.selected_input()  # Choice, Wait, Succeed: InputPath, then OutputPath
        out = payload.select(self.scope(merged), self.state.get("OutputPath", "$"), "OutputPath")
        return out, assigned

    def _assign_jsonata(self, extra: dict[str, Any]) -> dict[str, Any]:
        assign = self.state.get("Assign")
        if not isinstance(assign, dict):
            return {}
        value = jsonata_eval.resolve(assign, self.states(**extra), self.variables)
        return dict(value) if isinstance(value, dict) else {}

    def _assign_jsonpath(self, document: Any) -> dict[str, Any]:
        assign = self.state.get("Assign")
        if not isinstance(assign, dict):
            return {}
        value = payload.template(assign, self.scope(document))
        return dict(value) if isinstance(value, dict) else {}


def error_output(
    catcher: dict[str, Any],
    language: str,
    raw_input: Any,
    error: str,
    cause: str,
    context: dict[str, Any],
    variables: dict[str, Any],
) -> tuple[Any, dict[str, Any]]:
    """A Catch's output (and the variables it assigns) for a caught error."""
    error_output_value = {"Error": error, "Cause": cause}
    if language == "JSONata":
        states = {"input": raw_input, "context": context, "errorOutput": error_output_value}
        assigned: dict[str, Any] = {}
        if isinstance(catcher.get("Assign"), dict):
            assigned = jsonata_eval.resolve(catcher["Assign"], states, variables)
        out = (
            jsonata_eval.resolve(catcher["Output"], states, variables)
            if "Output" in catcher
            else error_output_value
        )
        return out, assigned
    scope = Scope(error_output_value, context, variables)
    assigned = payload.template(catcher.get("Assign") or {}, scope)
    out = payload.merge_result(raw_input, error_output_value, catcher.get("ResultPath", "$"))
    return out, assigned
