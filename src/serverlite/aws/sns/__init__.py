"""Amazon SNS: topics and subscriptions on SQLite, over the query protocol, with a
durable fan-out to SQS, Lambda and HTTP(S) endpoints on loopback.

    names              topic names, ARNs, the endpoints each protocol accepts
    errors             AWS's error codes and wording
    message_attributes Publish's MessageAttributes, checked as SNS checks them
    message_input      a Publish request checked (structure, subject, size, FIFO)
    filter_policy      subscription filter policies over the event pattern matcher
    attributes         topic and subscription attributes: checks and views
    delivery_policy    retry schedules per protocol (and HTTP DeliveryPolicy)
    envelope           the JSON envelope, the Lambda event, confirmations
    records, db        what is stored, and the SQLite schema
    store, outbox      topics/subscriptions; messages and the deliveries owed
    context            what every operation works with
    ops_topics, ops_subscriptions, ops_publish   the API, one function per operation
    senders            one delivery attempt per protocol
    worker             the delivery worker: retries, FIFO order, dead-letter queues
    template_specs     what the template declares, read into specs
    provision          the template's topics and subscriptions made to exist
    service            the backend: endpoint face, provisioning, the worker
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import SnsService

    return SnsService(context)
