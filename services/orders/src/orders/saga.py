"""The order saga's steps, each a function the state machine calls with the order.

Thin: the rules are in ``saga_domain``; the stock and the payments are rows in the
orders service's own tables. A step raises to fail: Step Functions names the error by
its exception (``OutOfStock``, ``PaymentDeclined``), and the state machine's Catch
decides what to undo.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from orders import saga_domain
from orders.store import OrderStore

logger = Logger(service="orders")
_stock: Any = None


def stock() -> Any:
    global _stock
    if _stock is None:
        _stock = boto3.resource("dynamodb").Table(os.environ["STOCK_TABLE"])
    return _stock


def reserve_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reserved: list[dict[str, Any]] = []
    for sku, qty in saga_domain.reservations(event):
        try:
            stock().update_item(
                Key={"sku": sku},
                UpdateExpression="SET available = if_not_exists(available, :start) - :qty",
                ConditionExpression=(
                    "(attribute_not_exists(available) AND :start >= :qty) OR available >= :qty"
                ),
                ExpressionAttributeValues={":start": saga_domain.INITIAL_STOCK, ":qty": qty},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            _release(reserved)  # this step undoes its own part before it fails
            raise saga_domain.OutOfStock(f"not enough {sku} for {qty}") from None
        reserved.append({"sku": sku, "qty": qty})
    return {"reserved": reserved, "amount": saga_domain.amount(event)}


def release_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reserved = event.get("stock", {}).get("reserved", [])
    _release(reserved)
    logger.info("stock released", extra={"order_id": event.get("id"), "lines": len(reserved)})
    return {"released": reserved}


def _release(reserved: list[dict[str, Any]]) -> None:
    for line in reserved:
        stock().update_item(
            Key={"sku": line["sku"]},
            UpdateExpression="ADD available :qty",
            ExpressionAttributeValues={":qty": int(line["qty"])},
        )


def request_approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Park the task token on the order: POST /orders/{id}/approval answers it."""
    order = event["order"]
    OrderStore().set_status(order["id"], "AWAITING_APPROVAL", approvalToken=event["token"])
    return {"requested": True}


def charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    saga_domain.check_charge(event)
    payment = {"paymentId": str(uuid.uuid4()), "amount": event["total"], "at": int(time.time())}
    OrderStore().set_status(event["id"], "CHARGED", payment=payment)
    return payment


def refund(event: dict[str, Any], context: Any) -> dict[str, Any]:
    payment = event.get("payment") or {}
    OrderStore().set_status(event["id"], "REFUNDED", refund={"paymentId": payment.get("paymentId")})
    return {"refunded": payment.get("paymentId")}
