import pytest
from orders import saga_domain

ORDER = {
    "id": "o-1",
    "total": "999.99",
    "items": [
        {"sku": "LAMP-1", "qty": 2, "price": "100"},
        {"sku": "BULB", "qty": 1, "price": "3"},
        {"sku": "LAMP-1", "qty": 3, "price": "100"},
    ],
}


def test_reservations_add_up_lines_of_the_same_sku():
    assert saga_domain.reservations(ORDER) == [("BULB", 1), ("LAMP-1", 5)]


def test_approval_starts_at_a_thousand():
    assert not saga_domain.needs_approval(ORDER)
    assert saga_domain.needs_approval({**ORDER, "total": "1000.00"})
    assert saga_domain.amount(ORDER) == 999.99


def test_a_charge_over_the_limit_is_declined():
    saga_domain.check_charge({**ORDER, "total": "5000.00"})
    with pytest.raises(saga_domain.PaymentDeclined):
        saga_domain.check_charge({**ORDER, "total": "5000.01"})
