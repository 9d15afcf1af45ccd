"""The queue engine's database survives being closed and reopened (a restart)."""

from __future__ import annotations

import pytest

from serverlite.aws.sqs import queue_attributes
from serverlite.aws.sqs.engine import SqsEngine
from serverlite.aws.sqs.message_input import NewMessage
from serverlite.aws.sqs.names import QueueRef

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def test_everything_survives_reopening_the_database(tmp_path):
    def clock() -> float:
        return 1_800_000_000.0

    path = tmp_path / "sqs.db"
    first = SqsEngine(path, region="us-east-1", account=ACCOUNT, endpoint="http://x", clock=clock)
    ref = QueueRef(ACCOUNT, "q")
    queue = first.queues.create(ref, queue_attributes.defaults(fifo=False), {}, clock())
    first.send(queue, [(NewMessage("kept"), None)])
    first.close()
    second = SqsEngine(path, region="us-east-1", account=ACCOUNT, endpoint="http://x", clock=clock)
    try:
        received = second.receive_now(second.find(queue.ref), 10, 30)
        assert [m.body for m in received] == ["kept"]
    finally:
        second.close()
