import pytest
from invoices.domain import (
    InvalidInvoiceRequest,
    document_key,
    invoice_for,
    order_of_document,
    render,
    should_fail,
)


def test_invoice_for_an_order():
    invoice = invoice_for({"id": "abcdef12-0000", "customer": "Ada", "total": "42.98"}, now=2)
    assert invoice == {
        "orderId": "abcdef12-0000",
        "invoiceId": "INV-ABCDEF12",
        "customer": "Ada",
        "amount": "42.98",
        "issuedAt": 2000,
    }


def test_an_invoice_needs_the_order():
    for bad in (None, {}, {"id": 1}, {"id": "x", "customer": "A"}):
        with pytest.raises(InvalidInvoiceRequest):
            invoice_for(bad)


def test_failure_injection_modes():
    assert not should_fail("none", 1)
    assert should_fail("always", 99)
    assert [should_fail("flaky:2", n) for n in (1, 2, 3)] == [True, True, False]
    assert not should_fail("flaky:x", 1)


def test_an_invoice_document_and_its_key():
    invoice = invoice_for({"id": "abcdef12-0000", "customer": "Ada", "total": "42.98"}, now=0)
    assert render(invoice).splitlines() == [
        "INVOICE INV-ABCDEF12",
        "Order:    abcdef12-0000",
        "Customer: Ada",
        "Issued:   1970-01-01 00:00 UTC",
        "Amount:   42.98",
    ]
    key = document_key("abcdef12-0000")
    assert key == "invoices/abcdef12-0000.txt"
    assert order_of_document(key) == "abcdef12-0000"
    for other in ("invoices/.txt", "receipts/x.txt", "invoices/x.pdf"):
        assert order_of_document(other) is None
