"""orders: the public frontend (seed 001)."""
