"""API Gateway: REST (payload v1) and HTTP (payload v2) APIs in front of functions."""
