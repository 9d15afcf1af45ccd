"""WebSocket API URLs in the app point at the local ports.

``wss://{apiId}.execute-api.{region}.amazonaws.com`` (what a template builds for its
clients) becomes the plain ``ws://127.0.0.1:<port>``, and
``https://{apiId}.execute-api...`` (a callback URL for the Management API) the TLS
``https://127.0.0.1:<port>``, in functions' environment variables and outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from serverlite.template.model import Application
from serverlite.template.rewrite import rewrite_strings


def localize(app: Application, local: Mapping[str, tuple[str, str]]) -> Application:
    """``local``: api id -> (ws base URL, https base URL), without the stage."""
    if not local:
        return app
    ids = "|".join(re.escape(api_id) for api_id in local)
    pattern = re.compile(rf"(wss|https)://({ids})\.execute-api\.[a-z0-9-]+\.amazonaws\.com")

    def swap(match: re.Match[str]) -> str:
        ws, https = local[match.group(2)]
        return ws if match.group(1) == "wss" else https

    return rewrite_strings(app, lambda text: pattern.sub(swap, text))
