"""The orders frontend: the same order placed two ways, to show who owns the retry.

- POST /orders/sync calls the invoices API and waits: if invoicing fails, the client
  gets the failure (502) and must retry itself.
- POST /orders/async records the order, queues an OrderPlaced message and answers 202
  at once: the queue retries invoicing (visibility timeout, then the DLQ); the client
  never sees the failure, and reads the outcome later with GET /orders/{id}.
- POST /orders/saga records the order and starts the fulfilment saga (a Step Functions
  state machine: reserve stock, approval of a large order, charge, invoice, undoing
  what was done when a step fails) and answers 202; POST /orders/{id}/approval is the
  person's answer to the approval step.

Every placed order is also published to the orders stream (Kinesis, keyed by customer)
for the analytics consumer.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from orders_shared.calls import call
from orders_shared.http import error, json_body, respond
from orders_shared.secrets import secret

from orders.domain import parse_order
from orders.events import publish_order_placed
from orders.store import OrderStore

logger = Logger(service="orders")
_store: OrderStore | None = None
_sqs: Any = None
_sfn: Any = None


def sfn() -> Any:
    global _sfn
    if _sfn is None:
        _sfn = boto3.client("stepfunctions")
    return _sfn


def store() -> OrderStore:
    global _store
    if _store is None:
        _store = OrderStore()
    return _store


def invoices_url(path: str) -> str:
    return os.environ["INVOICES_API_URL"].rstrip("/") + path


def _service_headers() -> dict[str, str]:
    return {"x-service-token": secret()}


@logger.inject_lambda_context
def create_order_sync(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = parse_order(json_body(event), status="PENDING")
    except ValueError as exc:
        return error(400, str(exc))
    store().put(order)
    publish_order_placed(order)
    reply = call("POST", invoices_url("/invoices"), order, _service_headers(), timeout_s=3.0)
    if reply.status in (200, 201) and isinstance(reply.body, dict):
        done = store().set_status(order["id"], "INVOICED", invoiceId=reply.body["invoiceId"])
        return respond(201, done)
    store().set_status(order["id"], "FAILED")
    logger.warning("invoicing failed", extra={"order_id": order["id"], "status": reply.status})
    return error(
        502, "invoicing failed; the order was not completed, retry later", orderId=order["id"]
    )


@logger.inject_lambda_context
def create_order_async(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _sqs
    try:
        order = parse_order(json_body(event), status="ACCEPTED")
    except ValueError as exc:
        return error(400, str(exc))
    store().put(order)
    publish_order_placed(order)
    if _sqs is None:
        _sqs = boto3.client("sqs")
    _sqs.send_message(
        QueueUrl=os.environ["ORDER_PLACED_QUEUE_URL"],
        MessageBody=json.dumps({"type": "OrderPlaced", "order": order}),
    )
    return respond(
        202, {"orderId": order["id"], "status": "ACCEPTED"}, {"Location": f"/orders/{order['id']}"}
    )


@logger.inject_lambda_context
def get_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order_id = (event.get("pathParameters") or {}).get("id", "")
    order = store().get(order_id)
    if order is None:
        return error(404, f"no order {order_id}")
    if order["status"] == "ACCEPTED":  # invoiced in the back? ask the invoices API
        reply = call(
            "GET", invoices_url(f"/invoices/{order_id}"), None, _service_headers(), timeout_s=2.0
        )
        if reply.status == 200 and isinstance(reply.body, dict):
            order = store().set_status(order_id, "INVOICED", invoiceId=reply.body["invoiceId"])
    order.pop("approvalToken", None)  # the saga's task token is not the client's
    return respond(200, order)


@logger.inject_lambda_context
def create_order_saga(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = parse_order(json_body(event), status="PROCESSING")
    except ValueError as exc:
        return error(400, str(exc))
    store().put(order)
    publish_order_placed(order)
    # The order's id names the execution: a retried request cannot start a second saga.
    started = sfn().start_execution(
        stateMachineArn=os.environ["ORDER_SAGA_ARN"],
        name=order["id"],
        input=json.dumps(order),
    )
    return respond(
        202,
        {"orderId": order["id"], "status": "PROCESSING", "executionArn": started["executionArn"]},
        {"Location": f"/orders/{order['id']}"},
    )


@logger.inject_lambda_context
def approve_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A person's answer to the saga's approval step: {"approved": true|false}."""
    order_id = (event.get("pathParameters") or {}).get("id", "")
    try:
        body = json_body(event)
    except ValueError as exc:
        return error(400, str(exc))
    if not isinstance(body, dict) or not isinstance(body.get("approved"), bool):
        return error(400, 'the body must be {"approved": true} or {"approved": false}')
    order = store().get(order_id)
    if order is None:
        return error(404, f"no order {order_id}")
    token = order.get("approvalToken")
    if order["status"] != "AWAITING_APPROVAL" or not token:
        return error(409, f"order {order_id} is not waiting for approval ({order['status']})")
    if body["approved"]:
        sfn().send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    else:
        sfn().send_task_failure(
            taskToken=token, error="Saga.Rejected", cause=str(body.get("reason") or "rejected")
        )
    return respond(202, {"orderId": order_id, "approved": body["approved"]})
