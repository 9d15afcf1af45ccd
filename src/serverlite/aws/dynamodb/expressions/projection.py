"""ProjectionExpression: the parts of an item a read returns.

Nested paths keep their structure (``a.b`` gives ``{"a": {"M": {"b": ...}}}``); list
elements picked by index come back as a shorter list, in index order, as on AWS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..types import AttributeValue, Item
from . import ast
from .evaluate import get_path


class _Sparse(dict[int, Any]):
    """List elements picked so far, by original index."""


def project(item: Item, paths: Iterable[ast.Path]) -> Item:
    result: dict[str, Any] = {}
    for path in paths:
        value = get_path(item, path)
        if value is None:
            continue
        container: dict[Any, Any] = result
        for depth, element in enumerate(path.elements[:-1]):
            original = get_path(item, ast.Path(path.elements[: depth + 1]))
            assert original is not None
            if element not in container:
                container[element] = {"M": {}} if "M" in original else {"L": _Sparse()}
            node = container[element]
            container = node["M"] if "M" in node else node["L"]
        container[path.elements[-1]] = value
    return {name: _finish(value) for name, value in result.items()}


def _finish(value: AttributeValue) -> AttributeValue:
    if "M" in value:
        return {"M": {k: _finish(v) for k, v in value["M"].items()}}
    if "L" in value and isinstance(value["L"], _Sparse):
        return {"L": [_finish(value["L"][i]) for i in sorted(value["L"])]}
    return value
