"""AWS X-Ray: the trace API over the traces serverlite records (rest-json)."""

from __future__ import annotations

from pathlib import Path

from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    from serverlite.aws.xray.service import XrayBackend

    return XrayBackend(context)


def kept(state_dir: Path) -> bool:
    """Nothing to resume: the API reads the observer's trace store when asked."""
    return False
