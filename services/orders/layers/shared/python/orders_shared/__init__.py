"""Shared capabilities of the orders and invoices services (a Lambda layer)."""
