"""profiles' functions: thin adapters from HTTP API events to the domain.

GET /profiles/{userId} is public; PUT sits behind the API's JWT authorizer (issuer
identity, audience profiles), and only the owner may change a profile.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from profiles.domain import InvalidProfile, check_user_id, may_change, parse_profile, profile_page
from profiles.http import claims, error, json_body, path_parameter, respond
from profiles.locations_client import LocationsClient, ServiceTokens
from profiles.store import DynamoProfileStore, ProfileStore

logger = Logger(service="profiles")
_store: ProfileStore | None = None
_locations: LocationsClient | None = None


def store() -> ProfileStore:
    global _store
    if _store is None:  # one client per warm environment
        _store = DynamoProfileStore()
    return _store


@lru_cache(maxsize=1)
def credentials() -> tuple[str, str]:
    """profiles' client id and secret, issued by identity, kept in Secrets Manager."""
    raw = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["CLIENT_SECRET"])
    value = json.loads(raw["SecretString"])
    return str(value["client_id"]), str(value["client_secret"])


def locations() -> LocationsClient:
    global _locations
    if _locations is None:
        tokens = ServiceTokens(f"{os.environ['IDENTITY_URL'].rstrip('/')}/token", credentials)
        budget = int(os.environ.get("LOCATION_BUDGET_MS", "1500")) / 1000
        _locations = LocationsClient(os.environ["LOCATIONS_URL"], tokens, budget)
    return _locations


@logger.inject_lambda_context
def get_profile(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        user_id = check_user_id(path_parameter(event, "userId"))
    except InvalidProfile as exc:
        return error(400, str(exc))
    profile = store().get(user_id)
    if profile is None:
        return error(404, f"no profile for {user_id}")
    location = locations().location_of(user_id)
    if location["status"] == "unavailable":
        logger.warning("location unavailable", extra={"user_id": user_id})
    return respond(200, profile_page(profile, location))


@logger.inject_lambda_context
def put_profile(event: dict[str, Any], context: Any) -> dict[str, Any]:
    user_id = path_parameter(event, "userId")
    if not may_change(claims(event), user_id):
        return error(403, "only the owner may change this profile")
    try:
        profile = parse_profile(user_id, json_body(event), datetime.now(UTC))
    except ValueError as exc:
        return error(400, str(exc))
    created = store().put(profile)
    return respond(201 if created else 200, profile.to_json())
