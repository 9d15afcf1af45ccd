"""The invoices backend: a private API and a queue worker over the same invoicing code."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from orders_shared.http import error, json_body, respond
from orders_shared.secrets import secret

from invoices.domain import InjectedFailure, InvalidInvoiceRequest, order_of_document
from invoices.service import invoice, store

logger = Logger(service="invoices")


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """REQUEST authorizer of the private API: only holders of the service token pass."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = headers.get("x-service-token", "")
    allowed = bool(token) and hmac.compare_digest(token, secret())
    # The whole API, not just this method: API Gateway caches the policy per token and
    # checks it against later requests' method ARNs (.../stage/METHOD/path).
    api_arn = "/".join(event["methodArn"].split("/")[:2])
    return {
        "principalId": "orders-service" if allowed else "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if allowed else "Deny",
                    "Resource": f"{api_arn}/*/*",
                }
            ],
        },
    }


@logger.inject_lambda_context
def create_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        created, is_new = invoice(json_body(event))
    except (ValueError, InvalidInvoiceRequest) as exc:
        return error(400, str(exc))
    except InjectedFailure as exc:
        return error(503, str(exc))
    return respond(201 if is_new else 200, created)


@logger.inject_lambda_context
def get_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order_id = (event.get("pathParameters") or {}).get("orderId", "")
    found = store().get(order_id)
    return respond(200, found) if found else error(404, f"no invoice for order {order_id}")


@logger.inject_lambda_context
def record_invoice_document(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 upload event: the invoice's document is in the bucket; note it on the invoice."""
    recorded = 0
    for record in event["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 sends keys URL-encoded
        order_id = order_of_document(key)
        if order_id is None:
            logger.warning("not an invoice document", extra={"key": key})
            continue
        document = {
            "bucket": record["s3"]["bucket"]["name"],
            "key": key,
            "size": record["s3"]["object"]["size"],
            "etag": record["s3"]["object"]["eTag"],
            "uploadedAt": record["eventTime"],
        }
        if store().record_document(order_id, document):
            recorded += 1
        else:
            logger.warning("a document for no invoice", extra={"key": key})
    return {"recorded": recorded}


@logger.inject_lambda_context
def process_order_placed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS worker: invoice each OrderPlaced; report failures so only they come back."""
    failures = []
    for record in event["Records"]:
        try:
            message = json.loads(record["body"])
            invoice(message["order"])
        except InvalidInvoiceRequest as exc:  # never going to work: log, do not retry
            logger.error("dropping a malformed OrderPlaced", extra={"reason": str(exc)})
        except (InjectedFailure, ValueError, KeyError) as exc:
            logger.warning(
                "will retry", extra={"message_id": record["messageId"], "reason": str(exc)}
            )
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context
def saga_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The order saga's invoicing step: the same invoicing code as the API and the queue
    worker. An InjectedFailure fails the step, for the state machine's Retry."""
    created, _ = invoice(event)
    return created
