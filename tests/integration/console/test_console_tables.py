"""Table queries in a real browser: every key condition on the table, a GSI and an LSI,
filters, pages and a filtered scan, each checked against what boto3 gets for the same
request from the same server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TABLE = "console-orders"
STATUSES = ("shipped", "pending", "cancelled")


@pytest.fixture(scope="module")
def orders(server: Server) -> Iterator[Any]:
    dynamodb = aws_client(server, "dynamodb")
    for customer, count in (("c1", 30), ("c2", 8)):
        for placed in range(1, count + 1):
            dynamodb.put_item(
                TableName=TABLE,
                Item={
                    "customer": {"S": customer},
                    "placed": {"N": str(placed)},
                    "status": {"S": STATUSES[placed % 3]},
                    "total": {"N": str((placed * 37) % 200)},
                    "note": {"S": f"order {customer}-{placed}"},
                },
            )
    yield dynamodb


def _shown(page: Any) -> list[tuple[str, str]]:
    """(customer, placed) of each row the page shows, in its order."""
    items = page.locator("#items")
    customers = items.locator("[data-column=customer]").all_inner_texts()
    placed = items.locator("[data-column=placed]").all_inner_texts()
    return list(zip(customers, placed, strict=True))


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["customer"]["S"], i["placed"]["N"]) for i in items]


def _run(page: Any, button: str, expected: int) -> None:
    """Click, wait for the answer to be swapped in (the old one is cleared first, so a
    result of the same count cannot pass for it), check its count."""
    page.locator("#items").evaluate("element => element.replaceChildren()")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#item-count")).to_have_text(str(expected))


def test_sort_key_conditions_match_boto3(orders: Any, page: Any) -> None:
    page.goto(f"/_console/tables/{TABLE}")
    page.wait_for_selector("#item-count")
    cases = [
        ("=", "7", "", "#s = :a", {":a": {"N": "7"}}),
        ("<", "4", "", "#s < :a", {":a": {"N": "4"}}),
        ("<=", "4", "", "#s <= :a", {":a": {"N": "4"}}),
        (">", "27", "", "#s > :a", {":a": {"N": "27"}}),
        (">=", "27", "", "#s >= :a", {":a": {"N": "27"}}),
        ("between", "5", "12", "#s BETWEEN :a AND :b", {":a": {"N": "5"}, ":b": {"N": "12"}}),
    ]
    for op, first, second, condition, values in cases:
        expected = orders.query(
            TableName=TABLE,
            KeyConditionExpression=f"customer = :c AND {condition}",
            ExpressionAttributeNames={"#s": "placed"},
            ExpressionAttributeValues={":c": {"S": "c1"}, **values},
        )["Items"]
        page.fill("input[name=pk]", "c1")
        page.select_option("select[name=sk_op]", op)
        page.fill("input[name=sk]", first)
        page.fill("input[name=sk2]", second)
        _run(page, "Query", len(expected))
        assert _shown(page) == _keys(expected), op


def test_filter_on_a_query_and_a_filtered_scan(orders: Any, page: Any) -> None:
    page.goto(f"/_console/tables/{TABLE}")
    page.wait_for_selector("#item-count")
    expected = orders.query(
        TableName=TABLE,
        KeyConditionExpression="customer = :c AND placed >= :p",
        FilterExpression="#st = :s",
        ExpressionAttributeNames={"#st": "status"},  # a reserved word: needs a name
        ExpressionAttributeValues={":c": {"S": "c1"}, ":p": {"N": "10"}, ":s": {"S": "shipped"}},
    )
    page.fill("input[name=pk]", "c1")
    page.select_option("select[name=sk_op]", ">=")
    page.fill("input[name=sk]", "10")
    page.fill("input[name=f0_attr]", "status")
    page.fill("input[name=f0_value]", "shipped")
    _run(page, "Query", expected["Count"])
    assert _shown(page) == _keys(expected["Items"])
    assert f"scanned {expected['ScannedCount']}" in page.inner_text("#query-summary")

    scanned = orders.scan(
        TableName=TABLE,
        FilterExpression="#st = :s AND #t >= :t",
        ExpressionAttributeNames={"#st": "status", "#t": "total"},
        ExpressionAttributeValues={":s": {"S": "cancelled"}, ":t": {"N": "50"}},
        Limit=50,
    )
    page.fill("input[name=f0_value]", "cancelled")
    page.fill("input[name=f1_attr]", "total")
    page.select_option("select[name=f1_op]", ">=")
    page.select_option("select[name=f1_type]", "N")
    page.fill("input[name=f1_value]", "50")
    _run(page, "Scan", scanned["Count"])
    assert sorted(_shown(page)) == sorted(_keys(scanned["Items"]))
    assert all(int(t) >= 50 for t in page.locator("#items [data-column=total]").all_inner_texts())


def test_queries_on_a_gsi_and_an_lsi(orders: Any, page: Any) -> None:
    page.goto(f"/_console/tables/{TABLE}")
    page.wait_for_selector("#item-count")
    page.select_option("select[name=index]", "by-status")
    expect(page.locator("#query-form .keys")).to_contain_text("status =")
    gsi = orders.query(
        TableName=TABLE,
        IndexName="by-status",
        KeyConditionExpression="#st = :s AND placed < :p",
        ExpressionAttributeNames={"#st": "status"},
        ExpressionAttributeValues={":s": {"S": "pending"}, ":p": {"N": "8"}},
    )["Items"]
    assert {c for c, _ in _keys(gsi)} == {"c1", "c2"}  # an index across customers
    page.fill("input[name=pk]", "pending")
    page.select_option("select[name=sk_op]", "<")
    page.fill("input[name=sk]", "8")
    _run(page, "Query", len(gsi))
    assert _shown(page) == _keys(gsi)

    page.select_option("select[name=index]", "by-total")
    expect(page.locator("#query-form .keys")).to_contain_text("total")
    lsi = orders.query(
        TableName=TABLE,
        IndexName="by-total",
        KeyConditionExpression="customer = :c AND #t > :t",
        ExpressionAttributeNames={"#t": "total"},
        ExpressionAttributeValues={":c": {"S": "c1"}, ":t": {"N": "150"}},
    )["Items"]
    page.fill("input[name=pk]", "c1")
    page.select_option("select[name=sk_op]", ">")
    page.fill("input[name=sk]", "150")
    _run(page, "Query", len(lsi))
    assert _shown(page) == _keys(lsi)  # in the LSI's order: by total
    totals = [int(i["total"]["N"]) for i in lsi]
    assert totals == sorted(totals) and len(totals) > 1


def test_pages_follow_last_evaluated_key(orders: Any, page: Any) -> None:
    page.goto(f"/_console/tables/{TABLE}")
    page.wait_for_selector("#item-count")
    page.fill("input[name=pk]", "c1")
    page.fill("input[name=limit]", "12")
    pages: list[list[tuple[str, str]]] = []
    start: dict[str, Any] | None = None
    while True:
        params: dict[str, Any] = {
            "TableName": TABLE,
            "KeyConditionExpression": "customer = :c",
            "ExpressionAttributeValues": {":c": {"S": "c1"}},
            "Limit": 12,
        }
        if start:
            params["ExclusiveStartKey"] = start
        answer = orders.query(**params)
        pages.append(_keys(answer["Items"]))
        start = answer.get("LastEvaluatedKey")
        if not start:
            break
    assert [len(p) for p in pages] == [12, 12, 6]
    _run(page, "Query", 12)
    for number, expected in enumerate(pages, start=1):
        expect(page.locator("#query-summary")).to_contain_text(f"page {number}")
        assert _shown(page) == expected
        if number < len(pages):
            page.click("#next-page")
            expect(page.locator("#query-summary")).to_contain_text(f"page {number + 1}")
    expect(page.locator("#query-summary")).to_contain_text("last page")
    assert page.locator("#next-page").count() == 0


def test_a_query_without_its_partition_key_is_explained(page: Any) -> None:
    page.goto(f"/_console/tables/{TABLE}")
    page.wait_for_selector("#item-count")
    page.get_by_role("button", name="Query", exact=True).click()
    expect(page.locator("#query-error")).to_have_text("a query needs the partition key customer")
