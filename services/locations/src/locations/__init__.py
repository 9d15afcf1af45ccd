"""The locations service (seed 002): where each user is, behind a private API."""
