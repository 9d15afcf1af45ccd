"""serverlite: run AWS SAM applications on one machine, no Docker, no AWS account."""

__version__ = "0.1.0"
