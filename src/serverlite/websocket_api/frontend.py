"""WebSocket API URLs in the app point at the local ports.

``wss://{apiId}.execute-api.{region}.amazonaws.com`` (what a template builds for its
clients) becomes the plain ``ws://127.0.0.1:<port>``, and
``https://{apiId}.execute-api...`` (a callback URL for the Management API) the TLS
``https://127.0.0.1:<port>``, in functions' environment variables and outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from serverlite.template.model import Application, StackSpec


def localize(app: Application, local: Mapping[str, tuple[str, str]]) -> Application:
    """``local``: api id -> (ws base URL, https base URL), without the stage."""
    if not local:
        return app
    ids = "|".join(re.escape(api_id) for api_id in local)
    pattern = re.compile(rf"(wss|https)://({ids})\.execute-api\.[a-z0-9-]+\.amazonaws\.com")

    def swap(match: re.Match[str]) -> str:
        ws, https = local[match.group(2)]
        return ws if match.group(1) == "wss" else https

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(swap, value)
        if isinstance(value, Mapping):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(fix(v) for v in value)
        return value

    def fix_stack(stack: StackSpec) -> StackSpec:
        return replace(
            stack,
            functions=tuple(
                replace(fn, environment=fix(dict(fn.environment))) for fn in stack.functions
            ),
            outputs=fix(dict(stack.outputs)),
            nested=tuple(fix_stack(s) for s in stack.nested),
        )

    return replace(app, root=fix_stack(app.root))
