"""locations' functions: thin adapters from HTTP API events to the domain.

Every route sits behind the API's JWT authorizer (issuer identity, audience
locations): an event reaching these functions carries verified claims.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from locations.domain import (
    InvalidLocation,
    caller_from_claims,
    can_read,
    can_write,
    check_user_id,
    parse_location,
)
from locations.faults import inject
from locations.http import claims, error, json_body, path_parameter, respond
from locations.store import DynamoLocationStore, LocationStore

logger = Logger(service="locations")
_store: LocationStore | None = None


def store() -> LocationStore:
    global _store
    if _store is None:  # one client per warm environment
        _store = DynamoLocationStore()
    return _store


@logger.inject_lambda_context
def put_location(event: dict[str, Any], context: Any) -> dict[str, Any]:
    inject(os.environ.get("FAULT_INJECTION", "none"))
    user_id = path_parameter(event, "userId")
    caller = caller_from_claims(claims(event))
    if not can_write(caller, user_id):
        logger.info("write refused", extra={"subject": caller.subject, "user_id": user_id})
        return error(403, "only the user themself may change their location")
    try:
        location = parse_location(user_id, json_body(event), datetime.now(UTC))
    except ValueError as exc:
        return error(400, str(exc))
    if not store().put(location):
        return error(409, "a newer location is stored already")
    return respond(200, location.to_json())


@logger.inject_lambda_context
def get_location(event: dict[str, Any], context: Any) -> dict[str, Any]:
    inject(os.environ.get("FAULT_INJECTION", "none"))
    user_id = path_parameter(event, "userId")
    caller = caller_from_claims(claims(event))
    if not can_read(caller, user_id):
        logger.info("read refused", extra={"subject": caller.subject, "user_id": user_id})
        return error(403, "only the user themself or a service with locations:read may read this")
    try:
        location = store().get(check_user_id(user_id))
    except InvalidLocation as exc:
        return error(400, str(exc))
    if location is None:
        return error(404, f"no location for {user_id}")
    return respond(200, location.to_json())
