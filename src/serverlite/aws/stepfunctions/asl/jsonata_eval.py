"""JSONata states: ``{% expression %}`` strings, evaluated with jsonata-python.

jsonata-python (pure Python, a port of jsonata-java, pinned in pyproject) evaluates the
expressions; this module finds them in a state's fields (Arguments, Output, Assign,
Condition, Items, ...) and binds what AWS binds: ``$states`` (``input``, ``result``,
``errorOutput``, ``context``), the execution's variables, and the functions Step
Functions adds (``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid``,
``$parse``). A failure is AWS's ``States.QueryEvaluationError``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import intrinsics
from .errors import QUERY_EVALUATION, StatesError

if TYPE_CHECKING:
    pass


def _random(seed: Any = None) -> float:
    import random

    return random.Random(seed).random() if seed is not None else random.random()


# The functions Step Functions adds to JSONata (AWS: "JSONata functions provided by Step
# Functions"), on the intrinsics' implementations.
AWS_FUNCTIONS = {
    "partition": intrinsics.FUNCTIONS["States.ArrayPartition"],
    "range": intrinsics.FUNCTIONS["States.ArrayRange"],
    "hash": intrinsics.FUNCTIONS["States.Hash"],
    "random": _random,
    "uuid": intrinsics.FUNCTIONS["States.UUID"],
    "parse": intrinsics.FUNCTIONS["States.StringToJson"],
}


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


@functools.lru_cache(maxsize=2048)
def _compiled(text: str) -> Any:
    import jsonata  # when a JSONata state is first met, not at every start

    return jsonata.Jsonata(text)


def check(text: str) -> str | None:
    """Why an expression does not compile, or None (for definition validation)."""
    try:
        _compiled(text[2:-2].strip())
    except Exception as exc:  # jsonata raises JException (a RuntimeError) and others
        return str(exc)
    return None


def evaluate(text: str, states: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    import jsonata

    source = text[2:-2].strip()
    try:
        expression = _compiled(source)
        frame = expression.create_frame()
        for name, function in AWS_FUNCTIONS.items():
            frame.bind(name, jsonata.Jsonata.JLambda(function))
        for name, value in variables.items():
            frame.bind(name, value)
        frame.bind("states", dict(states))
        result = expression.evaluate(None, frame)
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError(
            QUERY_EVALUATION, f"An error occurred while evaluating the expression {text}: {exc}"
        ) from exc
    return _plain(result)


def _plain(value: Any) -> Any:
    """jsonata-python's sequences and floats as JSON values."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if callable(value):
        return None  # a function is not a JSON value
    return value


def resolve(value: Any, states: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """``value`` with every ``{% %}`` string in it evaluated (objects and arrays walked)."""
    if is_expression(value):
        return evaluate(value, states, variables)
    if isinstance(value, dict):
        return {key: resolve(item, states, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, states, variables) for item in value]
    return value
