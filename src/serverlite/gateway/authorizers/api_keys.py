"""API keys and usage plans of a REST API: which keys open ApiKeyRequired methods, and
how often.

A key opens a method when it is enabled and belongs to a usage plan that covers the
API's stage; anything else is 403 ``{"message":"Forbidden"}``. Each key then has its
plan's throttle as its own token bucket (over it: 429 ``Too Many Requests``) and its
plan's quota per period (over it: 429 ``{"message":"Limit Exceeded"}``). Periods are
UTC: a DAY starts at midnight, a WEEK on the day ``Offset`` names (0 = Sunday), a
MONTH on day ``Offset + 1``. Counters live in memory: a restart resets quotas.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from serverlite.gateway import errors
from serverlite.gateway.errors import GatewayError
from serverlite.gateway.model import ApiKeySpec, ApiSpec, UsagePlanSpec
from serverlite.gateway.throttling import Throttles

_DAY = 86_400


@dataclass(frozen=True)
class KeyGrant:
    key: ApiKeySpec
    plan: UsagePlanSpec


def quota_period(period: str, offset: int, now: float) -> int:
    """An index that changes exactly when a new quota period starts."""
    day = int(now // _DAY)
    if period == "DAY":
        return day
    if period == "WEEK":
        # 1970-01-01 was a Thursday: day 0 is weekday 4 counting from Sunday.
        return (day + 4 - offset) // 7
    moment = time.gmtime(now)
    months = moment.tm_year * 12 + moment.tm_mon - 1
    return months - 1 if moment.tm_mday - 1 < offset else months


class ApiKeys:
    def __init__(self, api: ApiSpec, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._throttles = Throttles(clock)
        self._grants: dict[str, KeyGrant] = {}
        for plan in api.usage_plans:
            for key in plan.keys:
                # A key belongs to one plan per stage on AWS; the first one found wins.
                self._grants.setdefault(key.value, KeyGrant(key, plan))
        self._used: dict[tuple[str, str], tuple[int, int]] = {}

    def identify(self, value: str | None) -> KeyGrant | None:
        grant = self._grants.get(value) if value else None
        return grant if grant is not None and grant.key.enabled else None

    def admit(self, grant: KeyGrant) -> GatewayError | None:
        """None when this request fits the key's throttle and quota; the 429 otherwise."""
        plan, key = grant.plan, grant.key
        if not self._throttles.allow(("key", plan.plan_id, key.key_id), plan.throttle):
            return errors.THROTTLED
        if plan.quota_limit is None:
            return None
        period = quota_period(plan.quota_period or "DAY", plan.quota_offset, self._clock())
        counter = (plan.plan_id, key.key_id)
        current, used = self._used.get(counter, (period, 0))
        if current != period:
            used = 0
        if used >= plan.quota_limit:
            return errors.QUOTA_EXCEEDED
        self._used[counter] = (period, used + 1)
        return None
