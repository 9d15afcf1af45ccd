"""SAM's policy templates (``DynamoDBReadPolicy: {TableName: t}``) expanded as SAM does.

The definitions are aws-sam-translator's own (``samtranslator/policy_templates_data/
policy_templates.json``, pinned in pyproject), so a template means here exactly what
``sam deploy`` makes of it. A definition is a policy document whose values use
``Ref`` (a template parameter, or ``AWS::Partition`` / ``AWS::Region`` /
``AWS::AccountId``) and ``Fn::Sub``; expanding one fills them in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

_SUB = re.compile(r"\$\{([^}!]+)\}")


class TemplateError(ValueError):
    """An unknown template, or a parameter missing."""


@cache
def definitions() -> Mapping[str, Any]:
    path = resources.files("samtranslator") / "policy_templates_data" / "policy_templates.json"
    templates: Mapping[str, Any] = json.loads(path.read_text())["Templates"]
    return templates


def is_template(name: str) -> bool:
    return name in definitions()


def parameters(name: str) -> tuple[str, ...]:
    return tuple(definitions()[name].get("Parameters", {}))


def expand(
    name: str,
    values: Mapping[str, Any] | None,
    *,
    partition: str = "aws",
    region: str,
    account: str,
) -> dict[str, Any]:
    """The policy document SAM writes for ``name: values``."""
    template = definitions().get(name)
    if template is None:
        raise TemplateError(f"{name} is not a SAM policy template")
    given = dict(values or {})
    missing = [p for p in template.get("Parameters", {}) if p not in given]
    if missing:
        raise TemplateError(f"{name} needs {', '.join(missing)}")
    names = {
        **{key: _text(value) for key, value in given.items()},
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::AccountId": account,
    }
    document: dict[str, Any] = _resolve(template["Definition"], names)
    return document


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        ref = value["Ref"]
        if ref not in names:
            raise TemplateError(f"Ref {ref!r} names no parameter")
        return names[ref]
    if set(value) == {"Fn::Sub"}:
        body = value["Fn::Sub"]
        text, local = (body[0], body[1]) if isinstance(body, list) else (body, {})
        scope = {**names, **{k: _resolve(v, names) for k, v in local.items()}}

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in scope:
                raise TemplateError(f"Fn::Sub names ${{{key}}}, which is not defined")
            return str(scope[key])

        return _SUB.sub(sub, text)
    return {key: _resolve(item, names) for key, item in value.items()}
