"""The profiles service (seed 002): public profiles, with the location from locations."""
