"""Amazon CloudWatch Logs over the stored function logs (JSON 1.1, Logs_20140328)."""

from __future__ import annotations

from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    from serverlite.aws.logs.service import LogsBackend

    return LogsBackend(context)
