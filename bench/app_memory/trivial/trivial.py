"""The smallest handler: what an environment costs before a function's own work."""

from typing import Any


def handler(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}
