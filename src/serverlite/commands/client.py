"""The CLI's way to a running `serverlite up`: a boto3 client, and errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from serverlite.errors import ConfigError


def client(service: str, endpoint_url: str, region: str, read_timeout: float = 30) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="serverlite",
        aws_secret_access_key="serverlite",
        config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=read_timeout),
    )


@contextmanager
def talking_to(endpoint_url: str) -> Iterator[None]:
    """Turn boto3's errors into ConfigErrors: not running, or AWS's code and message."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    try:
        yield
    except EndpointConnectionError as exc:
        raise ConfigError(
            f"serverlite is not running at {endpoint_url}: start it with `serverlite up` "
            "(or pass --endpoint-url)"
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("QueryErrorCode") or error.get("Code")
        raise ConfigError(f"{code}: {error.get('Message', '')}") from exc
