"""The registry builds every emulated service from one context; the in-process AWS
client in that context reaches all of them, bound once (on disk: SQLite stores)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from serverlite.aws import registry
from serverlite.aws.backend import ServiceContext

pytestmark = pytest.mark.integration


def test_the_registry_builds_every_service_with_one_client_bound_to_them(tmp_path: Path) -> None:
    built = registry.build(ServiceContext(tmp_path, "us-east-1", "123456789012", time.time))
    try:
        names = [backend.name for backend in built.backends]
        assert names == [
            "ssm",
            "secretsmanager",
            "dynamodb",
            "dynamodbstreams",  # a companion: its records are in DynamoDB's store
            "kinesis",
            "sqs",
            "sns",
            "events",
            "stepfunctions",
            "postgres",
            "s3",
            "streammappings",
            "xray",
            "cloudwatch",
            "logs",
        ]
        assert all(built.aws.has(name) for name in names) and not built.aws.has("nosuchservice")
        assert all(backend.title for backend in built.backends)  # the startup line's names
        queue = asyncio.run(built.aws.call("sqs", "CreateQueue", {"QueueName": "q"}))
        assert queue["QueueUrl"].endswith("/123456789012/q")
        with pytest.raises(RuntimeError):
            built.aws.bind(built.backends)  # bound once
    finally:
        for backend in built.backends:
            backend.close()


def test_titles_and_state_files_are_what_the_built_services_have(tmp_path: Path) -> None:
    """The startup line names services not built yet from ``registry.TITLES``; a start
    tells the services that kept something from ``registry.STATE``: both as built."""
    built = registry.build(ServiceContext(tmp_path, "us-east-1", "123456789012", time.time))
    try:
        assert registry.titles() == [backend.title for backend in built.backends]
        kept = {path.name for path in tmp_path.iterdir()}
        missing = [p for p, files in registry.STATE.items() if not any(f in kept for f in files)]
        assert missing == ["postgres"]  # its cluster is made for a template's databases only
        # PostgreSQL made no cluster; X-Ray and Logs keep theirs in the observer's stores,
        # and Logs has no subscription filter to deliver.
        assert registry.with_state(tmp_path) == registry.service_names() - {
            "postgres",
            "xray",
            "logs",
        }
        assert registry.with_state(tmp_path / "fresh") == frozenset()
    finally:
        for backend in built.backends:
            backend.close()


def test_logs_is_kept_by_a_state_with_subscription_filters(tmp_path: Path) -> None:
    """CloudWatch Logs delivers an API-made subscription filter's events without a
    request: a state with one builds it at start; a state without one does not."""
    from serverlite.aws import logs
    from serverlite.aws.logs.subscriptions import SubscriptionFilter, SubscriptionStore
    from serverlite.observe.logs import LogStore

    LogStore(tmp_path / "logs.db").close()
    store = SubscriptionStore(tmp_path / "logs.db")
    assert not logs.kept(tmp_path)
    store.put(
        SubscriptionFilter(
            "/aws/lambda/Fn",
            "all",
            "",
            "arn:aws:lambda:us-east-1:123456789012:function:Sink",
            None,
            "ByLogStream",
            0,
            0,
        )
    )
    assert logs.kept(tmp_path)
    assert "logs" in registry.with_state(tmp_path)
