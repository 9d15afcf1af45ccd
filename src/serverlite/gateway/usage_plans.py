"""API keys and usage plans, as SAM's ``Auth.UsagePlan`` and CloudFormation declare them.

- ``CreateUsagePlan: PER_API`` makes ``<Api>UsagePlan``, ``<Api>ApiKey`` and
  ``<Api>UsagePlanKey``; ``SHARED`` makes ``ServerlessUsagePlan``, ``ServerlessApiKey``
  and ``ServerlessUsagePlanKey``, shared by every API of the stack that says SHARED.
  SAM's keys carry no Value, so AWS generates one; serverlite does too (stable for a
  given key, printed at startup).
- ``AWS::ApiGateway::UsagePlan`` (ApiStages, Quota, Throttle), ``UsagePlanKey`` and
  ``ApiKey`` (Value, Enabled) written in the template. As CreateApiKey does, a key
  without ``Enabled: true`` is disabled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from serverlite.gateway.model import ApiKeySpec, ThrottleSpec, UsagePlanSpec
from serverlite.template.model import Application, ResourceSpec

API_KEY = "AWS::ApiGateway::ApiKey"
USAGE_PLAN = "AWS::ApiGateway::UsagePlan"
USAGE_PLAN_KEY = "AWS::ApiGateway::UsagePlanKey"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def plan_settings(raw: Any, plan_id: str = "", keys: tuple[ApiKeySpec, ...] = ()) -> UsagePlanSpec:
    """Quota and Throttle of a usage plan (SAM's UsagePlan and CloudFormation's alike)."""
    raw = raw if isinstance(raw, Mapping) else {}
    throttle = raw.get("Throttle") if isinstance(raw.get("Throttle"), Mapping) else {}
    quota = raw.get("Quota") if isinstance(raw.get("Quota"), Mapping) else {}
    assert isinstance(throttle, Mapping) and isinstance(quota, Mapping)
    return UsagePlanSpec(
        throttle=ThrottleSpec(
            rate=float(throttle.get("RateLimit", 10_000)),
            burst=int(throttle.get("BurstLimit", 5_000)),
        )
        if throttle
        else None,
        quota_limit=int(quota["Limit"]) if "Limit" in quota else None,
        quota_period=str(quota.get("Period", "DAY")).upper() if quota else None,
        quota_offset=int(quota.get("Offset", 0)) if quota else 0,
        plan_id=plan_id,
        keys=keys,
    )


def plans_for_api(app: Application, api: ResourceSpec, stage: str) -> tuple[UsagePlanSpec, ...]:
    """Every usage plan that covers ``api``'s stage, each with its API keys."""
    plans: list[UsagePlanSpec] = []
    sam = _sam_plan(app, api)
    if sam is not None:
        plans.append(sam)
    keys = {r.physical_id: _declared_key(r) for r in app.resources if r.type == API_KEY}
    links = [r.properties for r in app.resources if r.type == USAGE_PLAN_KEY]
    for plan in app.resources:
        if plan.type != USAGE_PLAN or not _covers(plan, api, stage):
            continue
        plan_keys = tuple(
            keys[str(link.get("KeyId"))]
            for link in links
            if str(link.get("UsagePlanId")) == plan.physical_id
            and str(link.get("KeyType", "API_KEY")) == "API_KEY"
            and str(link.get("KeyId")) in keys
        )
        plans.append(plan_settings(plan.properties, plan.physical_id, plan_keys))
    return tuple(plans)


def _covers(plan: ResourceSpec, api: ResourceSpec, stage: str) -> bool:
    stages = plan.properties.get("ApiStages")
    for entry in stages if isinstance(stages, list) else ():
        if not isinstance(entry, Mapping) or str(entry.get("ApiId")) != api.physical_id:
            continue
        if entry.get("Stage") in (None, stage):
            return True
    return False


def _declared_key(resource: ResourceSpec) -> ApiKeySpec:
    props = resource.properties
    value = props.get("Value")
    return ApiKeySpec(
        key_id=resource.physical_id,
        value=str(value) if value else generated_value(resource.stack_path, resource.logical_id),
        name=str(props.get("Name") or resource.physical_id),
        enabled=props.get("Enabled") in (True, "true", "True"),
        generated=not value,
    )


def _sam_plan(app: Application, api: ResourceSpec) -> UsagePlanSpec | None:
    auth = api.properties.get("Auth")
    raw = auth.get("UsagePlan") if isinstance(auth, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    mode = str(raw.get("CreateUsagePlan", "NONE"))
    if mode == "PER_API":
        prefix, settings = api.logical_id, raw
    elif mode == "SHARED":
        prefix, settings = "Serverless", _shared_settings(app, api) or raw
    else:
        return None
    key_logical = f"{prefix}ApiKey"
    key = ApiKeySpec(
        key_id=_physical(api.stack_path, key_logical),
        value=generated_value(api.stack_path, key_logical),
        name=key_logical,
        generated=True,
    )
    return plan_settings(settings, _physical(api.stack_path, f"{prefix}UsagePlan"), (key,))


def _shared_settings(app: Application, api: ResourceSpec) -> Mapping[str, Any] | None:
    # SAM advises configuring a SHARED plan on one API only; the first that does wins.
    peers = sorted(
        (r for r in app.resources if r.stack_path == api.stack_path),
        key=lambda r: r.logical_id,
    )
    for peer in peers:
        auth = peer.properties.get("Auth")
        raw = auth.get("UsagePlan") if isinstance(auth, Mapping) else None
        if (
            isinstance(raw, Mapping)
            and raw.get("CreateUsagePlan") == "SHARED"
            and ("Quota" in raw or "Throttle" in raw)
        ):
            return raw
    return None


def _physical(stack_path: tuple[str, ...], logical_id: str) -> str:
    return "-".join((*stack_path, logical_id))


def generated_value(stack_path: tuple[str, ...], logical_id: str) -> str:
    """A 40-character key value, stable for a given key, as AWS's generated ones look."""
    seed = "/".join(("serverlite-api-key", *stack_path, logical_id))
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(40):
        number, index = divmod(number, len(_KEY_ALPHABET))
        chars.append(_KEY_ALPHABET[index])
    return "".join(chars)
