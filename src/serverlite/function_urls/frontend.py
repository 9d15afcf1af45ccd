"""Where each function URL is served locally, and how the template's URLs point there.

Every ``https://<url-id>.lambda-url.<region>.on.aws/`` the template produced for a
function (``!GetAtt FnUrl.FunctionUrl`` in environment variables and outputs) is
rewritten to the URL's local address, as the APIs' execute-api URLs are
(``gateway/frontend.py``): a function that calls another's URL reaches it here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from serverlite.template.model import Application, StackSpec

_URL = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.on\.aws/?")


def localize(app: Application, local: Mapping[str, str]) -> Application:
    """``local``: url id -> local base URL (``http://127.0.0.1:PORT/``)."""
    if not local:
        return app

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return _URL.sub(lambda m: local.get(m.group(1), m.group(0)), value)
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
