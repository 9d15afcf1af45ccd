"""Retry schedules: AWS's policy for SQS/Lambda, HTTP's default and custom ones."""

from __future__ import annotations

import itertools
import json

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.sns import delivery_policy as dp


def test_aws_managed_schedule() -> None:
    policy = dp.for_protocol("sqs", None, None)
    delays = [policy.delay_before(i) for i in range(1, 16)]
    assert delays[:3] == [0.0, 0.0, 0.0]  # three immediate retries
    assert delays[3:5] == [1.0, 1.0]  # two, one second apart
    backoff = delays[5:15]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(backoff))
    assert backoff[-1] == pytest.approx(20.0)
    assert policy.delay_before(16) == 20.0
    assert policy.delay_before(100_014) == 20.0
    assert policy.delay_before(100_015) is None  # 100,015 attempts in all
    total = sum(policy.delay_before(i) or 0 for i in range(1, 100_015))
    assert 22 * 86400 < total < 24 * 86400  # "over 23 days"
    assert dp.for_protocol("lambda", None, None) == policy


def test_http_default_is_three_retries_twenty_seconds_apart() -> None:
    policy = dp.for_protocol("https", None, None)
    assert [policy.delay_before(i) for i in range(1, 5)] == [20.0, 20.0, 20.0, None]


def test_http_subscription_policy_and_topic_override() -> None:
    sub = json.dumps(
        {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    )
    assert [dp.for_protocol("http", None, sub).delay_before(i) for i in (1, 2, 3)] == [
        1.0,
        1.0,
        None,
    ]
    topic = json.dumps(
        {
            "http": {
                "defaultHealthyRetryPolicy": {"numRetries": 5},
                "disableSubscriptionOverrides": True,
            }
        }
    )
    assert dp.for_protocol("http", topic, sub).num_retries == 5


def test_backoff_phases() -> None:
    policy = dp.RetryPolicy(
        num_retries=6,
        num_no_delay_retries=1,
        num_min_delay_retries=1,
        min_delay_s=2,
        num_max_delay_retries=1,
        max_delay_s=32,
        backoff="exponential",
    )
    delays = [policy.delay_before(i) for i in range(1, 8)]
    # 3 back-off retries grow geometrically from 2 s to 32 s, then one at the maximum.
    expected = [0.0, 2.0, 2 * 16 ** (1 / 3), 2 * 16 ** (2 / 3), 32.0, 32.0, None]
    assert delays == pytest.approx(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        '{"healthyRetryPolicy": {"numRetries": 101}}',
        '{"healthyRetryPolicy": {"backoffFunction": "random"}}',
        '{"healthyRetryPolicy": {"minDelayTarget": 30, "maxDelayTarget": 10}}',
        '{"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 60, "maxDelayTarget": 60}}',
    ],
)
def test_refused_subscription_policies(raw: str) -> None:
    with pytest.raises(AwsError) as info:
        dp.check_subscription_policy(raw)
    assert info.value.message.startswith("Invalid parameter: DeliveryPolicy")


def test_effective_topic_policy() -> None:
    effective = json.loads(dp.effective_topic_policy(None))
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    custom = dp.effective_topic_policy(
        json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 7}}})
    )
    assert json.loads(custom)["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 7
