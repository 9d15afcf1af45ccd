"""API Gateway authorizers: Lambda (TOKEN, REQUEST, HTTP API), JWT, Cognito, API keys.

``build_authorizer(api, invoker)`` gives the ``Authorizer`` (gateway/auth.py) the
gateway calls for one API's protected routes.
"""

from serverlite.gateway.authorizers.api_authorizer import ApiAuthorizer, build_authorizer
from serverlite.gateway.authorizers.issuers import ISSUERS_ENV, issuers_from_env
from serverlite.gateway.authorizers.startup import api_key_lines, authorizer_warnings

__all__ = [
    "ISSUERS_ENV",
    "ApiAuthorizer",
    "api_key_lines",
    "authorizer_warnings",
    "build_authorizer",
    "issuers_from_env",
]
