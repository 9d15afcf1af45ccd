"""Amazon CloudWatch metrics: PutMetricData, GetMetricData (metric math),
GetMetricStatistics, ListMetrics over the metric store (smithy-rpc-v2-cbor and JSON)."""

from __future__ import annotations

from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    from serverlite.aws.cloudwatch.service import CloudWatchBackend

    return CloudWatchBackend(context)
