"""Where serverlite listens unless told otherwise: one place for ports and URLs.

4566 is the port LocalStack made the convention for a local AWS endpoint (SDKs and
tools that read AWS_ENDPOINT_URL are often configured with it); 3000 is where
``sam local start-api`` serves an API.
"""

from __future__ import annotations

HOST = "127.0.0.1"  # loopback only: nothing is exposed beyond this machine by default
AWS_PORT = 4566
API_PORT = 3000
AWS_ENDPOINT_URL = f"http://{HOST}:{AWS_PORT}"
