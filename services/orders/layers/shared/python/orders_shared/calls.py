"""Calling another service's API: bounded in time, failures as values, not crashes."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when the service could not be reached in time
    body: Any


def call(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 3.0,
) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    # The trace goes on: Lambda's X-Ray header for this invocation, which API Gateway
    # continues, so the called service's segments join this request's trace.
    trace = os.environ.get("_X_AMZN_TRACE_ID")
    if trace:
        sent["X-Amzn-Trace-Id"] = trace
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Reply(response.status, _parse(response.read()))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, _parse(exc.read()))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Reply(0, {"message": f"unreachable: {exc}"})


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")
