"""The context object handed to a handler, shaped like the one in AWS's Python runtime.

AWS's runtime interface client exposes ``memory_limit_in_mb`` as the *string* read
from AWS_LAMBDA_FUNCTION_MEMORY_SIZE; we keep that quirk so code behaves the same.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's: it would import typing in every environment
if TYPE_CHECKING:
    from typing import Any


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity: dict[str, Any] | None) -> None:
        identity = identity or {}
        self.cognito_identity_id: str | None = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id: str | None = identity.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, client: dict[str, Any]) -> None:
        self.installation_id: str | None = client.get("installation_id")
        self.app_title: str | None = client.get("app_title")
        self.app_version_name: str | None = client.get("app_version_name")
        self.app_version_code: str | None = client.get("app_version_code")
        self.app_package_name: str | None = client.get("app_package_name")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, context: dict[str, Any]) -> None:
        client = context.get("client")
        self.client: Client | None = Client(client) if isinstance(client, dict) else None
        self.custom: Any = context.get("custom")
        self.env: Any = context.get("env")


class LambdaContext:
    """What a handler receives as its second argument."""

    def __init__(
        self,
        *,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        function_name: str,
        function_version: str,
        memory_limit_in_mb: str,
        log_group_name: str,
        log_stream_name: str,
        identity: dict[str, Any] | None = None,
        client_context: dict[str, Any] | None = None,
        tenant_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.identity = CognitoIdentity(identity)
        self.client_context = ClientContext(client_context) if client_context else None
        self.tenant_id = tenant_id
        self._epoch_deadline_time_in_ms = deadline_ms
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._epoch_deadline_time_in_ms - int(self._clock() * 1000)
        return max(remaining, 0)

    def log(self, msg: str) -> None:
        sys.stdout.write(msg)
        sys.stdout.flush()

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity}])"
        )
