"""Billed units AWS publishes no CloudWatch metric for, counted where serverlite serves
them, for ``serverlite cost`` (cost/estimate.py): in the metric store under the
serverlite-private namespace ``BILLING`` (ListMetrics leaves it out, so its answers
stay AWS's), each metric named by its price key in cost/prices.json, by ``Resource``.

- S3 (service_metrics, every request the endpoint serves): PUT, COPY, POST and LIST
  requests (``s3_put_requests``) and GET and all other requests (``s3_get_requests``);
  DELETE and CANCEL (AbortMultipartUpload) requests are free on AWS and not counted.
  By bucket ("" for ListBuckets), whatever the answer (AWS's waivers for some error
  responses are not applied).
- EventBridge (ops_events.put_events): each PutEvents entry put on a bus, in 64 KB
  chunks of its size as AWS measures it (``eventbridge_events``), by bus. Events AWS
  services emit (S3's notifications, PutServiceEvents) are free and not counted.
- Kinesis (kinesis/metrics.py): each record put, in 25 KB chunks of its data
  (``kinesis_put_payload_units``), by stream.
- Step Functions (the engine): a Standard execution's state transitions, each state
  entered and each retry (``stepfunctions_state_transitions``), by state machine ARN.
  Express executions are billed by request and duration, not counted here.
"""

from __future__ import annotations

import math
from typing import Any

BILLING = "serverlite/Billing"
EVENT_CHUNK = 64 * 1024
PAYLOAD_UNIT = 25 * 1024

# S3's request classes (Amazon S3 pricing, "Requests & data retrievals"): PUT, COPY,
# POST and LIST (CreateBucket, the multipart calls, Put*Configuration and tagging too).
_S3_PUT_CLASS = ("Put", "Copy", "Create", "Complete", "List", "UploadPart")


def chunks(size: int, chunk: int) -> int:
    """Billed units of ``size`` bytes in ``chunk``-byte chunks (at least one)."""
    return max(1, math.ceil(size / chunk))


def s3_price(operation: str) -> str | None:
    """The price key of an S3 operation, None for a free one (DELETE, CANCEL)."""
    if operation.startswith("Delete") or operation == "AbortMultipartUpload":
        return None
    if operation.startswith(_S3_PUT_CLASS):
        return "s3_put_requests"
    return "s3_get_requests"


def count(publisher: Any, price: str, resource: str, units: float) -> None:
    """``units`` of ``price`` used by ``resource`` now (publisher may be None: off)."""
    if publisher is not None and getattr(publisher, "enabled", False):
        publisher.record(BILLING, price, ((("Resource", resource),),), units, "Count")
