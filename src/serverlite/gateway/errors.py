"""API Gateway's own error responses, byte for byte as AWS sends them.

AWS is not consistent in spacing: REST's integration errors say
``{"message": "Internal server error"}`` (with a space) while its other errors say
``{"message":"Missing Authentication Token"}``; HTTP APIs answer a failed Lambda
integration with 500 ``Internal Server Error`` and a timed-out one with 503.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from serverlite.gateway.http import HttpResponse
from serverlite.gateway.model import ApiKind


@dataclass(frozen=True)
class GatewayError:
    status: int
    message: str | None  # None: AWS sends {"message":null}
    error_type: str | None = None  # REST's x-amzn-ErrorType
    spaced: bool = False  # AWS writes '{"message": "..."}' for these

    def body(self, message: str | None = None) -> bytes:
        separators = (", ", ": ") if self.spaced else (",", ":")
        return json.dumps({"message": message or self.message}, separators=separators).encode()


MISSING_AUTH_TOKEN = GatewayError(
    403, "Missing Authentication Token", "MissingAuthenticationTokenException"
)
NOT_FOUND = GatewayError(404, "Not Found")
REST_INTEGRATION_FAILED = GatewayError(
    502, "Internal server error", "InternalServerErrorException", spaced=True
)
REST_TIMEOUT = GatewayError(504, "Endpoint request timed out", "IntegrationTimeout", spaced=True)
HTTP_INTEGRATION_FAILED = GatewayError(500, "Internal Server Error")
HTTP_TIMEOUT = GatewayError(503, "Service Unavailable")
THROTTLED = GatewayError(429, "Too Many Requests", "TooManyRequestsException")
UNAUTHORIZED = GatewayError(401, "Unauthorized", "UnauthorizedException")
EXPLICIT_DENY = GatewayError(
    403,
    "User is not authorized to access this resource with an explicit deny",
    "AccessDeniedException",
)
IMPLICIT_DENY = GatewayError(
    403, "User is not authorized to access this resource", "AccessDeniedException"
)
FORBIDDEN = GatewayError(403, "Forbidden", "ForbiddenException")
# A Lambda authorizer that fails, times out or answers something that is not a valid
# policy: REST's default AUTHORIZER_CONFIGURATION_ERROR response has a null message.
AUTHORIZER_CONFIGURATION_ERROR = GatewayError(500, None, "AuthorizerConfigurationException")
INVALID_BODY = GatewayError(400, "Invalid request body", "BadRequestException")
QUOTA_EXCEEDED = GatewayError(429, "Limit Exceeded", "LimitExceededException")
PAYLOAD_TOO_LARGE = GatewayError(413, "Request Too Long", "RequestTooLongException")
# Refused while reading, before routing. AWS documents 414 "Request URI too long" for an
# over-long URI; a head past its 10,240 bytes of request line and header values gets
# REQUEST_TOO_LARGE (its only gateway response for an oversize request). A malformed
# request and a request that does not arrive in time are answered by AWS's front end,
# whose shape is not API Gateway's; serverlite answers them in API Gateway's JSON shape.
URI_TOO_LONG = GatewayError(414, "Request URI too long")
BAD_REQUEST = GatewayError(400, "Bad Request", "BadRequestException")
REQUEST_TIMEOUT = GatewayError(408, "Request Timeout")


def integration_failed(kind: ApiKind) -> GatewayError:
    return REST_INTEGRATION_FAILED if kind == "REST" else HTTP_INTEGRATION_FAILED


def integration_timeout(kind: ApiKind) -> GatewayError:
    return REST_TIMEOUT if kind == "REST" else HTTP_TIMEOUT


def not_found(kind: ApiKind) -> GatewayError:
    return MISSING_AUTH_TOKEN if kind == "REST" else NOT_FOUND


def error_response(
    kind: ApiKind, error: GatewayError, request_id: str, message: str | None = None
) -> HttpResponse:
    headers = [("Content-Type", "application/json")]
    if kind == "REST":
        headers.append(("x-amzn-RequestId", request_id))
        if error.error_type:
            headers.append(("x-amzn-ErrorType", error.error_type))
    else:
        headers.append(("apigw-requestid", request_id))
    return HttpResponse(error.status, headers, error.body(message))
