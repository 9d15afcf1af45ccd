"""The identity service (seed 002): accounts, sessions, signing keys, service tokens."""
