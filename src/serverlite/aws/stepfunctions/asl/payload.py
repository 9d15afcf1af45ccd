"""JSONPath states' input and output processing.

    input -> InputPath -> Parameters -> (the state's work) -> ResultSelector
          -> ResultPath (merged with the state's input) -> OutputPath -> output

A payload template (Parameters, ResultSelector, ItemSelector) copies its values, except
that a key ending in ``.$`` takes the value of a path (``$.x`` the input, ``$$.x`` the
context object, ``$name`` a variable) or an intrinsic function, under the key without
``.$``. A path that finds nothing is ``States.Runtime``, worded as AWS words it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import intrinsics, jsonpath
from .errors import RESULT_PATH_MATCH, StatesError, runtime


@dataclass
class Scope:
    """What paths read: the input, the context object (``$$``), the variables."""

    input: Any
    context: dict[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)

    def resolve(self, path: str) -> Any:
        """A path's value: ``$$...`` the context, ``$name...`` a variable, ``$...`` the input."""
        if path.startswith("$$"):
            return jsonpath.read(self.context, path[1:])
        if len(path) > 1 and path[1] not in ".[":
            name, rest = _variable(path)
            if name not in self.variables:
                raise jsonpath.NoMatch(path)
            return jsonpath.read(self.variables[name], "$" + rest)
        return jsonpath.read(self.input, path)


def _variable(path: str) -> tuple[str, str]:
    end = 1
    while end < len(path) and path[end] not in ".[":
        end += 1
    return path[1:end], path[end:]


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def select(scope: Scope, path: str | None, field_name: str) -> Any:
    """InputPath / OutputPath / ItemsPath: ``None`` (JSON null) gives ``{}``."""
    if path is None:
        return {}
    try:
        return scope.resolve(path)
    except jsonpath.NoMatch as exc:
        raise runtime(
            f"Invalid path '{path}' : No results for path: {jsonpath.canonical(path)}"
            if field_name in ("InputPath", "OutputPath")
            else f"The JSONPath '{path}' specified for the field '{field_name}' could not be "
            f"found in the input '{compact(scope.input)}'"
        ) from exc


def template(value: Any, scope: Scope) -> Any:
    """A payload template applied to ``scope``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                out[key[:-2]] = _dynamic(key, item, scope)
            else:
                out[key] = template(item, scope)
        return out
    if isinstance(value, list):
        return [template(item, scope) for item in value]
    return value


def _dynamic(key: str, text: str, scope: Scope) -> Any:
    if intrinsics.is_intrinsic(text):
        return intrinsics.evaluate(text, scope.resolve)
    try:
        return scope.resolve(text)
    except jsonpath.NoMatch as exc:
        where = "context object" if text.startswith("$$") else "input"
        document = scope.context if text.startswith("$$") else scope.input
        raise runtime(
            f"The JSONPath '{text}' specified for the field '{key}' could not be found in "
            f"the {where} '{compact(document)}'"
        ) from exc
    except jsonpath.PathError as exc:
        raise runtime(f"The value for the field '{key}' must be a valid JSONPath: {exc}") from exc


def merge_result(state_input: Any, result: Any, result_path: str | None) -> Any:
    """ResultPath: ``$`` (the default) puts the result in place of the input; JSON null
    discards it and passes the input on."""
    if result_path is None:
        return state_input
    try:
        return jsonpath.put(state_input, result_path, result)
    except jsonpath.NoMatch as exc:
        raise StatesError(
            RESULT_PATH_MATCH,
            f"Unable to apply ReferencePath {result_path} to input {compact(state_input)}",
        ) from exc
