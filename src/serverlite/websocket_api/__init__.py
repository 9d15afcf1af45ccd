"""API Gateway WebSocket APIs: routes to functions over a live connection, and the
API Gateway Management API (``@connections``) to talk back (docs/websockets.md)."""
