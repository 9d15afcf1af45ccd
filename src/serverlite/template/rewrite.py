"""Rewrite strings throughout an application: how AWS URLs a template builds (execute-api,
Lambda function URLs, WebSocket APIs) come to point at the local ports, so code that
reads them from its environment or from outputs reaches serverlite unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .model import Application, StackSpec


def rewrite_strings(
    app: Application, rewrite: Callable[[str], str], *, resources: bool = False
) -> Application:
    """Apply ``rewrite`` to every string in functions' environment variables and the
    stacks' outputs, and with ``resources`` in every resource's properties and attributes
    too (nested values included)."""

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return rewrite(value)
        if isinstance(value, Mapping):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(fix(v) for v in value)
        return value

    def fix_stack(stack: StackSpec) -> StackSpec:
        changed = replace(
            stack,
            functions=tuple(
                replace(fn, environment=fix(dict(fn.environment))) for fn in stack.functions
            ),
            outputs=fix(dict(stack.outputs)),
            nested=tuple(fix_stack(s) for s in stack.nested),
        )
        if not resources:
            return changed
        return replace(
            changed,
            resources=tuple(
                replace(r, properties=fix(dict(r.properties)), attributes=fix(dict(r.attributes)))
                for r in stack.resources
            ),
        )

    return replace(app, root=fix_stack(app.root))
