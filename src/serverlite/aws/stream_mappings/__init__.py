"""Lambda's event source mappings on streams: Kinesis Data Streams and DynamoDB Streams.

    spec          the template's mappings (SAM Kinesis / DynamoDB events, and
                  AWS::Lambda::EventSourceMapping on a stream), checked as AWS does
    sources       reading a stream through its service's API (in-process)
    checkpoints   where each mapping is in each shard, and tumbling windows' state
    delivery      one batch to the function: retries, bisection, partial failures,
                  the on-failure destination
    shard_worker  the loop of one mapping on one shard
    service       the backend: provisioning rows, workers under `serverlite up`

A backend of its own (no wire face): it reaches Kinesis and DynamoDB Streams only
through ``context.aws``, as any service reaches another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import StreamMappings

    return StreamMappings(context)
