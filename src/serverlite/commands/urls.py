"""Where a running ``serverlite up`` serves: ``--api-port``, urls.json, ``serverlite urls``.

``up`` writes ``<state>/urls.json`` once its ports are bound (the AWS endpoint and each
API's URL, port 0 resolved), so ``serverlite urls`` answers without parsing a log, and
a script can read the file. An API keeps its port across restarts: ports follow the
APIs' stable order from ``--port``, and ``--api-port API=PORT`` pins one whatever the
template adds before it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from serverlite.errors import ConfigError
from serverlite.gateway.frontend import ApiEndpoint
from serverlite.gateway.model import ApiSpec

URLS_FILE = "urls.json"


def pinned_ports(specs: Sequence[str], apis: Sequence[ApiSpec]) -> dict[str, int]:
    """``API=PORT`` options -> {qualified id: port}; an API is named by its qualified id
    (Identity/IdentityApi) or, when that is unambiguous, its logical id."""
    pinned: dict[str, int] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep or not text.isdigit() or not 0 < int(text) < 65536:
            raise ConfigError(f"--api-port {spec!r}: use API=PORT, e.g. IdentityApi=3100")
        found = [a for a in apis if name in (a.qualified_id, a.logical_id)]
        if len(found) != 1:
            known = ", ".join(a.qualified_id for a in apis) or "none"
            why = "names several APIs" if found else "names no API with routes"
            raise ConfigError(f"--api-port {spec!r} {why} (APIs: {known})")
        pinned[found[0].qualified_id] = int(text)
    return pinned


def write(
    state_dir: Path,
    aws_url: str,
    endpoints: Sequence[ApiEndpoint],
    function_urls: Mapping[str, str] | None = None,
    websockets: Mapping[str, str] | None = None,
) -> None:
    """``function_urls``: a function (``Fn`` or ``Fn:alias``) -> its local URL;
    ``websockets``: a WebSocket API's qualified id -> its ws:// URL."""
    data: dict[str, Any] = {
        "aws": aws_url,
        "apis": {e.api.qualified_id: e.stage_url for e in endpoints},
    }
    if function_urls:
        data["function_urls"] = dict(function_urls)
    if websockets:
        data["websockets"] = dict(websockets)
    path = state_dir / URLS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)  # whole or not at all, for a reader at any moment


def read(state_dir: Path) -> dict[str, Any]:
    """What the running ``up`` on ``state_dir`` wrote; ConfigError when none runs."""
    from serverlite.state_lock import running_owner

    owner = running_owner(state_dir)
    if owner is None or owner.command != "up":
        raise ConfigError(f"no serverlite up is running on {state_dir} (start one: serverlite up)")
    try:
        data: dict[str, Any] = json.loads((state_dir / URLS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the running up has not written {state_dir / URLS_FILE} yet") from exc
    return data
