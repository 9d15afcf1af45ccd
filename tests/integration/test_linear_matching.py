"""Input built to backtrack is answered at once, in AWS's shape, while a second client
keeps being served (every port shares one event loop).

Each attack here stalled every port before: a wildcard pattern against a long string
(over 80 s; PutRule stores it, so every later PutEvents stalled again), an SSM
AllowedPattern of nested quantifiers (4.8 s at 27 characters, doubling with each), a
DynamoDB number of 20,000 digits and a letter (11.5 s).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import FIXTURES, Server, aws_client, start_server

# Generous for a loaded machine, far below the stalls these attacks caused.
PROMPT_S = 3.0
# Five wildcards (AWS refuses six as too complex): as a backtracking regex this is
# O(n^5) on a string of "a"s.
WILDCARD = "*a*a*a*a*b"
LONG = "a" * 200_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        FIXTURES / "hostile" / "template.yaml",
        tmp_path_factory.mktemp("hostile") / "state",
        "--no-reload",
    )
    yield running
    running.stop()


class Prober:
    """A second client calling the endpoint in a loop, recording each call's latency."""

    def __init__(self, server: Server) -> None:
        self._events = aws_client(server, "events")
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.latencies) < 10_000:
            started = time.monotonic()
            self._events.list_event_buses()
            self.latencies.append(time.monotonic() - started)


def attack(call: Callable[[], Any]) -> tuple[float, Any]:
    """Run one attack; its duration and its answer (the result or the ClientError)."""
    started = time.monotonic()
    try:
        answer: Any = call()
    except ClientError as exc:
        answer = exc
    return time.monotonic() - started, answer


def error_code(answer: Any) -> str:
    assert isinstance(answer, ClientError), answer
    return str(answer.response["Error"]["Code"])


def test_hostile_patterns_regexes_and_numbers_do_not_stall_other_clients(server):
    events = aws_client(server, "events")
    ssm = aws_client(server, "ssm")
    dynamodb = aws_client(server, "dynamodb")
    envelope = {
        "id": "1",
        "source": "hostile",
        "detail-type": "x",
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2026-01-01T00:00:00Z",
    }
    pattern = json.dumps({"detail": {"s": [{"wildcard": WILDCARD}]}})
    attacks: dict[str, Callable[[], Any]] = {
        "TestEventPattern": lambda: events.test_event_pattern(
            EventPattern=pattern, Event=json.dumps({**envelope, "detail": {"s": LONG}})
        ),
        "PutRule": lambda: events.put_rule(Name="hostile", EventPattern=pattern),
        "PutEvents": lambda: events.put_events(
            Entries=[{"Source": "hostile", "DetailType": "x", "Detail": json.dumps({"s": LONG})}]
        ),
        "too complex": lambda: events.test_event_pattern(
            EventPattern=json.dumps({"s": [{"wildcard": "*a" * 10 + "*b"}]}),
            Event=json.dumps({**envelope, "s": LONG}),
        ),
        "PutParameter": lambda: ssm.put_parameter(
            Name="/hostile/p", Value="a" * 4000 + "!", Type="String", AllowedPattern="(a+)+"
        ),
        "PutItem": lambda: dynamodb.put_item(
            TableName="hostile-items",
            Item={"id": {"S": "1"}, "n": {"N": "1" * 20_000 + "x"}},
        ),
    }
    answers: dict[str, tuple[float, Any]] = {}
    with Prober(server) as prober:
        for name, call in attacks.items():
            answers[name] = attack(call)
    for name, (took, _) in answers.items():
        assert took < PROMPT_S, f"{name} took {took:.1f} s"
    assert answers["TestEventPattern"][1]["Result"] is False
    assert answers["PutEvents"][1]["FailedEntryCount"] == 0
    assert error_code(answers["too complex"][1]) == "InvalidEventPatternException"
    assert error_code(answers["PutParameter"][1]) == "ParameterPatternMismatchException"
    assert error_code(answers["PutItem"][1]) == "ValidationException"
    assert prober.latencies, "the second client was never answered"
    assert max(prober.latencies) < PROMPT_S, f"second client waited {max(prober.latencies):.1f} s"
