"""HTTP calls to other services: bounded in time, failures as values, never crashes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when the service could not be reached or did not answer in time
    body: Any


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout_s: float,
) -> Reply:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=max(0.01, timeout_s)) as response:
            return Reply(response.status, _parse(response.read()))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, _parse(exc.read()))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Reply(0, {"message": f"unreachable: {exc}"})


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
