"""identity's functions: thin adapters from HTTP API events to the service.

Passwords arrive in request bodies, so no event is ever logged here (Powertools'
``log_event`` stays off) and nothing logs a body or a Credentials' password.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from identity.domain import IdentityError, RateLimit
from identity.http import NO_STORE, form_body, header, json_body, refuse, respond, source_ip
from identity.passwords import Passwords
from identity.service import IdentityService, Settings, SigningKeys
from identity.store import DynamoIdentityStore
from identity.vault import SecretsClientDirectory, SecretsKeyVault

logger = Logger(service="identity")
_service: IdentityService | None = None
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def service() -> IdentityService:
    global _service
    if _service is None:  # once per warm environment
        _service = build(os.environ)
    return _service


def issuer_url(parameter: str) -> str:
    """The issuer is identity's own API URL. A function cannot name its own API in its
    environment (the API refers to the function: CloudFormation rejects the cycle), so
    the template stores it in an SSM parameter that the function reads once."""
    value = boto3.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    return str(value).rstrip("/")


def build(env: Mapping[str, str]) -> IdentityService:
    settings = Settings(
        issuer=issuer_url(env["ISSUER_PARAMETER"]),
        audiences=tuple(env.get("USER_AUDIENCES", "locations,profiles").split(",")),
        access_ttl_s=int(env.get("ACCESS_TOKEN_SECONDS", "900")),
        service_ttl_s=int(env.get("SERVICE_TOKEN_SECONDS", "900")),
        ip_limit=RateLimit(int(env.get("SIGNIN_LIMIT_PER_IP", "30")), 60),
        user_limit=RateLimit(int(env.get("SIGNIN_FAILURES_PER_USER", "5")), 900),
        user_global_limit=RateLimit(int(env.get("SIGNIN_FAILURES_PER_USER_ALL", "50")), 3600),
        token_limit=RateLimit(int(env.get("TOKEN_LIMIT_PER_IP", "60")), 60),
        key_cache_s=int(env.get("KEY_CACHE_SECONDS", "300")),
    )
    secrets = boto3.client("secretsmanager")
    keys = SigningKeys(
        SecretsKeyVault(env["SIGNING_KEYS_SECRET"], secrets), cache_s=settings.key_cache_s
    )
    client_secrets = [s for s in env.get("CLIENT_SECRETS", "").split(",") if s]
    return IdentityService(
        settings,
        DynamoIdentityStore(env["TABLE_NAME"]),
        keys,
        SecretsClientDirectory(client_secrets, secrets),
        Passwords(),
    )


def api(fn: Handler) -> Handler:
    """Refusals (IdentityError) become their HTTP answers; anything else is a bug and
    is raised, so Lambda reports it."""

    @functools.wraps(fn)
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return fn(event, context)
        except IdentityError as exc:
            logger.info("refused", extra={"status": exc.status, "error": exc.code})
            return refuse(exc)

    return logger.inject_lambda_context(handle)


@api
def signup(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return respond(201, service().signup(json_body(event)))


@api
def signin(event: dict[str, Any], context: Any) -> dict[str, Any]:
    session = service().signin(json_body(event), source_ip(event))
    return respond(200, session, NO_STORE)


@api
def refresh(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return respond(200, service().refresh(json_body(event)), NO_STORE)


@api
def signout(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service().signout(json_body(event))
    return {"statusCode": 204, "headers": NO_STORE}


@api
def token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    grant = service().service_token(
        form_body(event), header(event, "authorization"), source_ip(event)
    )
    return respond(200, grant, NO_STORE)


@api
def rotate_keys(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return respond(200, service().rotate_keys(header(event, "authorization")))


@api
def grants(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GET or PUT /admin/users/{username}/grants: a user's roles and organization."""
    username = (event.get("pathParameters") or {}).get("username")
    authorization = header(event, "authorization")
    if event.get("requestContext", {}).get("http", {}).get("method") == "PUT":
        granted = service().set_grants(username, json_body(event), authorization)
    else:
        granted = service().get_grants(username, authorization)
    return respond(200, granted, NO_STORE)


@api
def well_known(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if str(event.get("routeKey", "")).endswith("/openid-configuration"):
        return respond(200, service().discovery(), {"Cache-Control": "max-age=300"})
    return respond(200, service().jwks(), {"Cache-Control": "max-age=300"})
