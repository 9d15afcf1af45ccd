"""orders -> invoices (seed 001): who owns the retry, synchronous against asynchronous,
and the same order fulfilled by a saga (Step Functions) that undoes what failed.

Failures are injected into invoicing through its SSM parameter. Synchronously, the
client sees the failure and must retry; asynchronously, the client got its 202
already and the queue retries (then parks the message in the DLQ).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, aws_client, start_server

pytestmark = pytest.mark.integration
SERVICE = Path(__file__).resolve().parents[2] / "services" / "orders"
ORDER = {"customer": "Ada", "items": [{"sku": "LAMP-1", "qty": 2, "price": "19.99"}]}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    server = start_server(
        SERVICE / "template.yaml",
        tmp_path_factory.mktemp("orders") / "s",
        "--port",
        "0",
        "--parameter-overrides",
        "QueueVisibilitySeconds=3",
        "--iam",
        "enforce",
    )
    yield {
        "server": server,
        "invoices": f"{server.api_base('InvoicesApi')}/Prod",
        "orders": server.api_base("OrdersApi"),
    }
    server.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def fail_invoicing(server: Server, mode: str) -> None:
    aws_client(server, "ssm").put_parameter(
        Name="/orders-demo/invoices/failure-mode", Value=mode, Type="String", Overwrite=True
    )


def wait_for_status(http: httpx.Client, url: str, status: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    order: dict = {}
    while time.monotonic() < deadline:
        order = http.get(url).json()
        if order.get("status") == status:
            return order
        time.sleep(0.2)
    raise AssertionError(f"order never reached {status}: {order}")


def test_sync_order_is_invoiced_before_the_answer(system, http):
    fail_invoicing(system["server"], "none")
    response = http.post(f"{system['orders']}/orders/sync", json=ORDER)
    assert response.status_code == 201
    order = response.json()
    assert order["status"] == "INVOICED"
    assert order["invoiceId"].startswith("INV-")
    assert order["total"] == "39.98"


def test_sync_failure_reaches_the_client_who_owns_the_retry(system, http):
    fail_invoicing(system["server"], "always")
    failed = http.post(f"{system['orders']}/orders/sync", json=ORDER)
    assert failed.status_code == 502
    order_id = failed.json()["orderId"]
    assert http.get(f"{system['orders']}/orders/{order_id}").json()["status"] == "FAILED"
    fail_invoicing(system["server"], "none")
    retried = http.post(f"{system['orders']}/orders/sync", json=ORDER)  # the client's retry
    assert retried.status_code == 201


def test_async_order_is_accepted_at_once_and_invoiced_in_the_back(system, http):
    fail_invoicing(system["server"], "none")
    accepted = http.post(f"{system['orders']}/orders/async", json=ORDER)
    assert accepted.status_code == 202
    assert accepted.json()["status"] == "ACCEPTED"  # answered before it was invoiced
    order_id = accepted.json()["orderId"]
    order = wait_for_status(http, f"{system['orders']}/orders/{order_id}", "INVOICED")
    assert order["invoiceId"].startswith("INV-")


@pytest.mark.slow
def test_async_failures_are_retried_by_the_queue_not_the_client(system, http):
    fail_invoicing(system["server"], "flaky:2")
    accepted = http.post(f"{system['orders']}/orders/async", json=ORDER)
    assert accepted.status_code == 202  # the client never sees the two failures
    order_id = accepted.json()["orderId"]
    order = wait_for_status(http, f"{system['orders']}/orders/{order_id}", "INVOICED", 40)
    assert order["invoiceId"].startswith("INV-")


@pytest.mark.slow
def test_async_messages_that_keep_failing_land_in_the_dlq(system, http):
    server = system["server"]
    fail_invoicing(server, "always")
    accepted = http.post(f"{system['orders']}/orders/async", json=ORDER)
    order_id = accepted.json()["orderId"]
    sqs = aws_client(server, "sqs")
    dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "OrderPlacedDLQ" in u)
    deadline = time.monotonic() + 40
    found = None
    while time.monotonic() < deadline and found is None:
        for message in sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if body["order"]["id"] == order_id:
                found = body
    fail_invoicing(server, "none")
    assert found is not None, "the message never reached the DLQ"
    assert found["type"] == "OrderPlaced"
    assert http.get(f"{system['orders']}/orders/{order_id}").json()["status"] == "ACCEPTED"


def test_the_invoices_api_is_private(system, http):
    url = f"{system['invoices']}/invoices/anything"
    assert http.get(url).status_code == 401  # no token: the authorizer's identity is missing
    assert http.get(url, headers={"x-service-token": "guess"}).status_code == 403
    created = http.post(
        f"{system['invoices']}/invoices", json={"id": "x"}, headers={"x-service-token": "guess"}
    )
    assert created.status_code == 403


def test_bad_orders_are_400(system, http):
    for body in ({}, {"customer": "A", "items": [{"sku": "A", "qty": 0, "price": 1}]}):
        response = http.post(f"{system['orders']}/orders/async", json=body)
        assert response.status_code == 400
    assert http.get(f"{system['orders']}/orders/nope").status_code == 404


def test_an_invoice_document_is_rendered_to_s3_and_its_upload_recorded(system, http):
    """The invoice is rendered to the documents bucket; the upload's S3 event runs
    RecordInvoiceDocument, which notes the document on the invoice."""
    fail_invoicing(system["server"], "none")
    order = http.post(f"{system['orders']}/orders/sync", json=ORDER).json()
    s3 = aws_client(system["server"], "s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("orders-invoices-")
    )
    key = f"invoices/{order['id']}.txt"
    document = s3.get_object(Bucket=bucket, Key=key)
    text = document["Body"].read().decode()
    assert text.startswith(f"INVOICE {order['invoiceId']}\n") and "Amount:   39.98" in text
    assert document["Metadata"] == {"invoice-id": order["invoiceId"]}
    ddb = aws_client(system["server"], "dynamodb")
    table = next(t for t in ddb.list_tables()["TableNames"] if "InvoicesTable" in t)
    deadline = time.monotonic() + 20
    item: dict = {}
    while time.monotonic() < deadline and "document" not in item:
        item = ddb.get_item(TableName=table, Key={"orderId": {"S": order["id"]}}).get("Item", {})
        time.sleep(0.1)
    recorded = item["document"]["M"]
    assert recorded["key"] == {"S": key}
    assert recorded["bucket"] == {"S": bucket}
    assert recorded["etag"] == {"S": document["ETag"].strip('"')}
    assert recorded["size"] == {"N": str(len(text.encode()))}


# -- the order saga (Step Functions) ---------------------------------------------------


def _sfn(server: Server):
    return aws_client(server, "stepfunctions")


def _states(server: Server, execution_arn: str) -> list[str]:
    events = _sfn(server).get_execution_history(executionArn=execution_arn, maxResults=1000)
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in events["events"]
        if e["type"].endswith("StateEntered")
    ]


def _place_saga(system, http, order: dict) -> tuple[str, str]:
    response = http.post(f"{system['orders']}/orders/saga", json=order)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "PROCESSING"
    return body["orderId"], body["executionArn"]


def test_saga_reserves_charges_and_invoices(system, http):
    fail_invoicing(system["server"], "none")
    order_id, execution = _place_saga(system, http, ORDER)
    order = wait_for_status(http, f"{system['orders']}/orders/{order_id}", "COMPLETED")
    assert order["invoiceId"].startswith("INV-")
    assert order["payment"]["amount"] == "39.98"
    assert _states(system["server"], execution) == [
        "ReserveStock",
        "NeedsApproval",
        "Charge",
        "Invoice",
        "MarkCompleted",
    ]


def test_saga_retries_a_failing_invoice(system, http):
    fail_invoicing(system["server"], "flaky:2")
    try:
        order_id, execution = _place_saga(system, http, ORDER)
        wait_for_status(http, f"{system['orders']}/orders/{order_id}", "COMPLETED", timeout=40)
    finally:
        fail_invoicing(system["server"], "none")
    history = _sfn(system["server"]).get_execution_history(executionArn=execution)["events"]
    failed = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert failed == ["InjectedFailure", "InjectedFailure"]


def test_saga_compensates_when_invoicing_keeps_failing(system, http):
    fail_invoicing(system["server"], "always")
    try:
        order_id, execution = _place_saga(system, http, ORDER)
        order = wait_for_status(http, f"{system['orders']}/orders/{order_id}", "FAILED", 60)
    finally:
        fail_invoicing(system["server"], "none")
    assert order["failure"] == "InjectedFailure"
    assert order["refund"]["paymentId"] == order["payment"]["paymentId"]
    states = _states(system["server"], execution)
    assert states[-4:] == ["Refund", "ReleaseStock", "MarkFailed", "OrderFailed"]
    described = _sfn(system["server"]).describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "InjectedFailure")


def test_saga_waits_for_a_person_to_approve_a_large_order(system, http):
    fail_invoicing(system["server"], "none")
    large = {"customer": "Ada", "items": [{"sku": "DESK-9", "qty": 2, "price": "750.00"}]}
    order_id, _ = _place_saga(system, http, large)
    url = f"{system['orders']}/orders/{order_id}"
    waiting = wait_for_status(http, url, "AWAITING_APPROVAL")
    assert "approvalToken" not in waiting
    approved = http.post(f"{url}/approval", json={"approved": True})
    assert approved.status_code == 202
    assert wait_for_status(http, url, "COMPLETED")["total"] == "1500.00"
    again = http.post(f"{url}/approval", json={"approved": True})
    assert again.status_code == 409


def test_saga_rejected_or_declined_releases_the_stock(system, http):
    large = {"customer": "Bo", "items": [{"sku": "DESK-9", "qty": 1, "price": "1200.00"}]}
    order_id, execution = _place_saga(system, http, large)
    url = f"{system['orders']}/orders/{order_id}"
    wait_for_status(http, url, "AWAITING_APPROVAL")
    assert http.post(f"{url}/approval", json={"approved": False}).status_code == 202
    assert wait_for_status(http, url, "FAILED")["failure"] == "Saga.Rejected"
    assert _states(system["server"], execution)[-3:] == [
        "ReleaseStock",
        "MarkFailed",
        "OrderFailed",
    ]
    declined = {"customer": "Cy", "items": [{"sku": "CAR-1", "qty": 1, "price": "9000.00"}]}
    order_id, execution = _place_saga(system, http, declined)
    url = f"{system['orders']}/orders/{order_id}"
    wait_for_status(http, url, "AWAITING_APPROVAL")
    http.post(f"{url}/approval", json={"approved": True})
    assert wait_for_status(http, url, "FAILED")["failure"] == "PaymentDeclined"
    stock = aws_client(system["server"], "dynamodb")
    tables = [t for t in stock.list_tables()["TableNames"] if "StockTable" in t]
    for sku in ("DESK-9", "CAR-1"):
        item = stock.get_item(TableName=tables[0], Key={"sku": {"S": sku}})["Item"]
        expected = 100 - (2 if sku == "DESK-9" else 0)  # only the approved desks left
        assert int(item["available"]["N"]) == expected


def test_saga_out_of_stock_fails_before_anything_to_undo(system, http):
    too_many = {"customer": "Di", "items": [{"sku": "RARE-1", "qty": 101, "price": "1.00"}]}
    order_id, execution = _place_saga(system, http, too_many)
    order = wait_for_status(http, f"{system['orders']}/orders/{order_id}", "FAILED")
    assert order["failure"] == "OutOfStock"
    assert _states(system["server"], execution) == ["ReserveStock", "MarkFailed", "OrderFailed"]


# -- order analytics (Kinesis, keyed by customer) --------------------------------------


def _totals(system, http, customer: str, count: int) -> dict:
    """GET the customer's totals until ``count`` orders are counted (bounded)."""
    url = f"{system['orders']}/customers/{customer}/totals"
    deadline = time.monotonic() + 30
    body: dict = {}
    while time.monotonic() < deadline:
        response = http.get(url)
        body = response.json() if response.status_code == 200 else {}
        if body.get("orderCount", 0) >= count:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{customer}'s totals never counted {count} orders: {body}")


def test_order_events_keep_per_customer_totals_in_order(system, http):
    """Each placed order is a Kinesis record keyed by its customer; the analytics
    function counts each customer's orders, in the order they were placed."""
    fail_invoicing(system["server"], "none")
    placed: dict[str, list[str]] = {"Grace": [], "Linus": []}
    expected = {"Grace": Decimal("0"), "Linus": Decimal("0")}
    for n in range(1, 5):
        for i, customer in enumerate(placed):
            price = f"{n}.{i}5"
            order = {"customer": customer, "items": [{"sku": "PEN-1", "qty": n, "price": price}]}
            response = http.post(f"{system['orders']}/orders/async", json=order)
            assert response.status_code == 202, response.text
            placed[customer].append(response.json()["orderId"])
            expected[customer] += Decimal(price) * n
    for customer, order_ids in placed.items():
        totals = _totals(system, http, customer, len(order_ids))
        assert totals["orderIds"] == order_ids  # in the order each customer placed them
        assert totals["orderCount"] == len(order_ids)
        assert Decimal(totals["amount"]) == expected[customer]
    assert http.get(f"{system['orders']}/customers/Nobody/totals").status_code == 404
    sqs = aws_client(system["server"], "sqs")
    failures = next(u for u in sqs.list_queues()["QueueUrls"] if "AnalyticsFailures" in u)
    assert sqs.receive_message(QueueUrl=failures).get("Messages", []) == []
