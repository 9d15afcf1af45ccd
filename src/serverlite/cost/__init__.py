"""serverlite cost: what the run would have cost on AWS (estimate.py, prices.json)."""
