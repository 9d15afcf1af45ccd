"""The phonebook service (seed 003): contacts behind five functions on one table."""
