"""``Fn::ForEach`` (the AWS::LanguageExtensions transform): one fragment per item.

    Fn::ForEach::Queues:
      - Name                       # the identifier
      - [Orders, Invoices]         # the collection (or !Ref a CommaDelimitedList)
      - ${Name}Queue:              # the output key: ${Name}, or &{Name} (alphanumerics only)
          Type: AWS::SQS::Queue
          Properties: {QueueName: !Ref Name}

As the transform expands it before anything else: in ``Resources``, ``Conditions`` and
``Outputs``, loops may nest, ``${Name}`` / ``&{Name}`` are replaced in keys and strings and
``!Ref Name`` becomes the item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from serverlite.errors import TemplateError

PREFIX = "Fn::ForEach::"
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")

Collection = Callable[[Any, str], Any]


def expand(section: Any, collection: Collection, file: str, path: str) -> Any:
    """``section`` with every ``Fn::ForEach::*`` key replaced by its expansion."""
    if not isinstance(section, dict) or not any(str(k).startswith(PREFIX) for k in section):
        return section
    result: dict[str, Any] = {}
    for key, value in section.items():
        if not str(key).startswith(PREFIX):
            result[key] = value
            continue
        where = f"{path}.{key}"
        for out_key, out_value in _loop(value, collection, file, where).items():
            if out_key in result:
                raise TemplateError(file, where, f"Fn::ForEach makes {out_key!r} twice")
            result[out_key] = out_value
    return result


def _loop(body: Any, collection: Collection, file: str, path: str) -> dict[str, Any]:
    if not isinstance(body, list) or len(body) != 3 or not isinstance(body[2], dict):
        raise TemplateError(
            file, path, "Fn::ForEach takes [Identifier, Collection, {OutputKey: fragment}]"
        )
    identifier, items, fragment = body
    if not isinstance(identifier, str) or not identifier:
        raise TemplateError(file, path, "Fn::ForEach's identifier must be a name")
    values = collection(items, f"{path}[1]")
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",")] if values else []
    if not isinstance(values, list):
        raise TemplateError(file, path, f"Fn::ForEach's collection must be a list, got {values!r}")
    out: dict[str, Any] = {}
    for item in values:
        text = str(item)
        done = _substitute(fragment, identifier, text)
        # A fragment may hold loops of its own (nested Fn::ForEach).
        for key, value in expand(done, collection, file, path).items():
            if key in out:
                raise TemplateError(file, path, f"Fn::ForEach makes {key!r} twice")
            out[key] = value
    return out


def _substitute(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, str):
        return value.replace("${" + identifier + "}", item).replace(
            "&{" + identifier + "}", _NOT_ALPHANUMERIC.sub("", item)
        )
    if isinstance(value, list):
        return [_substitute(v, identifier, item) for v in value]
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {
            _substitute(str(k), identifier, item): _substitute(v, identifier, item)
            for k, v in value.items()
        }
    return value
