"""How long SNS keeps retrying a delivery that failed with a server-side error.

Each policy has four phases after the first attempt: immediate retries, retries at
the minimum delay, a back-off from the minimum to the maximum delay, then retries
at the maximum delay. AWS's policies:

- SQS and Lambda (AWS-managed endpoints): 3 immediate, 2 one second apart, 10 backing
  off exponentially from 1 s to 20 s, then 100,000 twenty seconds apart — 100,015
  attempts over about 23 days;
- HTTP/S by default: 3 retries 20 seconds apart (``defaultHealthyRetryPolicy``),
  changeable with a topic's or subscription's DeliveryPolicy (at most 100 retries
  and 3,600 s in all).

AWS adds jitter to these delays; serverlite does not, so tests see the same times.
Client-side errors (the queue or function is gone, the endpoint refused the
message with a 4xx) are never retried: the message goes to the subscription's
dead-letter queue, if it has one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import errors

BACKOFF_FUNCTIONS = ("linear", "arithmetic", "geometric", "exponential")
MAX_HTTP_RETRIES = 100
MAX_HTTP_DELAY_S = 3600


@dataclass(frozen=True)
class RetryPolicy:
    num_retries: int
    num_no_delay_retries: int = 0
    num_min_delay_retries: int = 0
    min_delay_s: float = 20.0
    num_max_delay_retries: int = 0
    max_delay_s: float = 20.0
    backoff: str = "linear"

    def delay_before(self, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based); None when exhausted."""
        if retry < 1 or retry > self.num_retries:
            return None
        if retry <= self.num_no_delay_retries:
            return 0.0
        retry -= self.num_no_delay_retries
        if retry <= self.num_min_delay_retries:
            return self.min_delay_s
        retry -= self.num_min_delay_retries
        backoff_retries = (
            self.num_retries
            - self.num_no_delay_retries
            - self.num_min_delay_retries
            - self.num_max_delay_retries
        )
        if retry > backoff_retries:
            return self.max_delay_s
        return self._backoff(retry, backoff_retries)

    def _backoff(self, step: int, steps: int) -> float:
        low, high = self.min_delay_s, self.max_delay_s
        fraction = step / steps
        if self.backoff in ("exponential", "geometric") and low > 0:
            return float(low * (high / low) ** fraction)
        if self.backoff == "arithmetic":
            return low + (high - low) * fraction**2
        return low + (high - low) * fraction


AWS_MANAGED = RetryPolicy(
    num_retries=100_014,
    num_no_delay_retries=3,
    num_min_delay_retries=2,
    min_delay_s=1.0,
    num_max_delay_retries=100_000,
    max_delay_s=20.0,
    backoff="exponential",
)
HTTP_DEFAULT = RetryPolicy(num_retries=3, min_delay_s=20.0, max_delay_s=20.0)
HTTP_DEFAULT_JSON = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}


def effective_topic_policy(topic_policy: str | None) -> str:
    """A topic's EffectiveDeliveryPolicy attribute."""
    http: dict[str, Any] = {
        "defaultHealthyRetryPolicy": dict(HTTP_DEFAULT_JSON),
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
    if topic_policy:
        given = json.loads(topic_policy).get("http", {})
        http.update({k: v for k, v in given.items() if k != "defaultHealthyRetryPolicy"})
        http["defaultHealthyRetryPolicy"].update(given.get("defaultHealthyRetryPolicy") or {})
    return json.dumps({"http": http}, separators=(",", ":"))


def check_topic_policy(text: str) -> None:
    document = _document(text)
    http = document.get("http", {})
    if not isinstance(http, Mapping):
        raise errors.invalid("DeliveryPolicy: http must be an object")
    _retry_policy(http.get("defaultHealthyRetryPolicy") or {})


def check_subscription_policy(text: str) -> None:
    _retry_policy(_document(text).get("healthyRetryPolicy") or {})


def for_protocol(
    protocol: str, topic_policy: str | None, subscription_policy: str | None
) -> RetryPolicy:
    """The policy a delivery to this subscription follows."""
    if protocol not in ("http", "https"):
        return AWS_MANAGED
    merged: dict[str, Any] = dict(HTTP_DEFAULT_JSON)
    overrides_allowed = True
    if topic_policy:
        http = json.loads(topic_policy).get("http", {})
        merged.update(http.get("defaultHealthyRetryPolicy") or {})
        overrides_allowed = not http.get("disableSubscriptionOverrides", False)
    if subscription_policy and overrides_allowed:
        merged.update(json.loads(subscription_policy).get("healthyRetryPolicy") or {})
    return _retry_policy(merged)


def _document(text: str) -> Mapping[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise errors.invalid("DeliveryPolicy: failed to parse JSON") from None
    if not isinstance(document, Mapping):
        raise errors.invalid("DeliveryPolicy: must be a JSON object")
    return document


def _retry_policy(raw: Mapping[str, Any]) -> RetryPolicy:
    values = {**HTTP_DEFAULT_JSON, **raw}
    try:
        policy = RetryPolicy(
            num_retries=int(values["numRetries"]),
            num_no_delay_retries=int(values["numNoDelayRetries"]),
            num_min_delay_retries=int(values["numMinDelayRetries"]),
            min_delay_s=float(values["minDelayTarget"]),
            num_max_delay_retries=int(values["numMaxDelayRetries"]),
            max_delay_s=float(values["maxDelayTarget"]),
            backoff=str(values["backoffFunction"]),
        )
    except (TypeError, ValueError):
        raise errors.invalid("DeliveryPolicy: retry policy values must be numbers") from None
    if policy.backoff not in BACKOFF_FUNCTIONS:
        raise errors.invalid(
            f"DeliveryPolicy: backoffFunction must be one of {', '.join(BACKOFF_FUNCTIONS)}"
        )
    if not 0 <= policy.num_retries <= MAX_HTTP_RETRIES:
        raise errors.invalid(f"DeliveryPolicy: numRetries must be 0 to {MAX_HTTP_RETRIES}")
    if not 0 < policy.min_delay_s <= policy.max_delay_s <= MAX_HTTP_DELAY_S:
        raise errors.invalid(
            "DeliveryPolicy: minDelayTarget must be at least 1 and at most maxDelayTarget, "
            f"which must be at most {MAX_HTTP_DELAY_S}"
        )
    phases = policy.num_no_delay_retries + policy.num_min_delay_retries
    if min(policy.num_no_delay_retries, policy.num_min_delay_retries) < 0 or (
        phases + policy.num_max_delay_retries > policy.num_retries
    ):
        raise errors.invalid(
            "DeliveryPolicy: numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must "
            "not exceed numRetries"
        )
    total = sum(policy.delay_before(i) or 0.0 for i in range(1, policy.num_retries + 1))
    if total > MAX_HTTP_DELAY_S:
        raise errors.invalid(
            f"DeliveryPolicy: the total retry time must not exceed {MAX_HTTP_DELAY_S} seconds"
        )
    return policy
