"""Amazon SQS: queues on SQLite, over the JSON and query protocols, and SQS event
source mappings that invoke functions.

    names             queue names, URLs (any host) and ARNs
    errors            AWS's error codes, JSON and query spellings
    queue_attributes  queue attributes: defaults, limits, checks
    redrive           RedrivePolicy / RedriveAllowPolicy, when a message moves to a DLQ
    message_input     SendMessage parameters checked into a NewMessage
    checksums         MD5 of bodies and message attributes, as AWS computes them
    fifo              deduplication, sequence numbers, message-group ordering
    receipts          receipt handles
    records, db       what is stored, and the SQLite schema
    queue_store       queues, move tasks, provisioning fingerprints
    message_store     enqueue, receive, delete, visibility, counts, expiry
    waiters           long polling: receives wait for sends, never poll
    engine            the above together: what the API and the pollers use
    views             messages as ReceiveMessage shows them
    batch             batch request checks and per-entry errors
    ops_queues, ops_messages, ops_moves   the API, one function per operation
    provision         the template's queues and queue policies
    mapping/          event source mappings: pollers that invoke functions
    query_protocol    the query wire's element names for SQS (older SDKs, the v1 CLI)
    service           the backend: endpoint faces, provisioning, event sources
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import SqsService

    return SqsService(context)
