"""What every route authorizer answers, and the outcomes each API kind turns into errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from serverlite.gateway import errors
from serverlite.gateway.auth import AuthRequest, AuthResult
from serverlite.gateway.model import ApiKind

log = logging.getLogger("serverlite.gateway.authorizers")


@dataclass(frozen=True)
class Decision:
    result: AuthResult
    usage_key: str | None = None  # a Lambda authorizer's usageIdentifierKey


class RouteAuthorizer(Protocol):
    async def check(self, request: AuthRequest) -> Decision: ...


def unauthorized(headers: tuple[tuple[str, str], ...] = ()) -> Decision:
    return Decision(AuthResult(error=errors.UNAUTHORIZED, headers=headers))


def failed(kind: ApiKind, why: str) -> Decision:
    """The authorizer itself failed: REST's AuthorizerConfigurationException, HTTP's 500."""
    log.warning("authorizer failed: %s", why)
    error = (
        errors.AUTHORIZER_CONFIGURATION_ERROR if kind == "REST" else errors.HTTP_INTEGRATION_FAILED
    )
    return Decision(AuthResult(error=error))
