import pytest
from orders.domain import InvalidOrder, parse_order


def test_a_valid_order_gets_an_id_a_total_and_a_status():
    order = parse_order(
        {
            "customer": " Ada ",
            "items": [
                {"sku": "LAMP-1", "qty": 2, "price": "19.99"},
                {"sku": "BULB", "qty": 1, "price": 3},
            ],
        },
        status="PENDING",
        now=1.5,
    )
    assert order["customer"] == "Ada"
    assert order["total"] == "42.98"
    assert order["status"] == "PENDING"
    assert order["createdAt"] == 1500
    assert len(order["id"]) == 36


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be an object"),
        ({"customer": "A", "items": [], "extra": 1}, "must be an object"),
        ({"items": [{"sku": "A", "qty": 1, "price": 1}]}, "customer is required"),
        ({"customer": "A", "items": []}, "items must be a list"),
        ({"customer": "A", "items": [{"sku": "a b", "qty": 1, "price": 1}]}, "sku"),
        ({"customer": "A", "items": [{"sku": "A", "qty": 0, "price": 1}]}, "qty"),
        ({"customer": "A", "items": [{"sku": "A", "qty": True, "price": 1}]}, "qty"),
        ({"customer": "A", "items": [{"sku": "A", "qty": 1, "price": "abc"}]}, "price"),
        ({"customer": "A", "items": [{"sku": "A", "qty": 1, "price": "-1"}]}, "positive"),
        ({"customer": "A", "items": [{"sku": "A", "qty": 1, "price": "1.001"}]}, "2 decimals"),
        ({"customer": "A", "items": [{"sku": "A", "qty": 1}]}, "exactly sku, qty and price"),
    ],
)
def test_invalid_orders_say_why(body, message):
    with pytest.raises(InvalidOrder, match=message):
        parse_order(body, status="PENDING")
