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
        assert registry.with_state(tmp_path) == registry.service_names() - {"postgres"}
        assert registry.with_state(tmp_path / "fresh") == {"xray", "logs"}
    finally:
        for backend in built.backends:
            backend.close()
