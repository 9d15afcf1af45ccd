"""invoices: the private backend (seed 001)."""
