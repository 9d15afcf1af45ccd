"""A function's recent invocations from its REPORT lines: read from the newest batches,
then only what is stored after them."""

from __future__ import annotations

from typing import Any

from serverlite.console.invocations import RecentInvocations
from serverlite.observe.logs import StoredEvent


class FakeLogs:
    def __init__(self) -> None:
        self.batches: list[list[StoredEvent]] = []
        self.reads: list[tuple[str, Any]] = []

    def add(self, stream: str, *messages: str) -> None:
        batch_id = len(self.batches) + 1
        self.batches.append(
            [StoredEvent(batch_id, "g", stream, 1000 * batch_id, m) for m in messages]
        )

    def latest(self, group: str, batches: int) -> list[StoredEvent]:
        self.reads.append(("latest", batches))
        return [e for b in self.batches[-batches:] for e in b]

    def read(self, group: str, *, after_id: int = 0, limit: int = 1000) -> list[StoredEvent]:
        self.reads.append(("read", after_id))
        return [e for b in self.batches if b[0].id > after_id for e in b][: limit * 10]


def _report(request: str, init: bool = False) -> str:
    cold = "\tInit Duration: 80.00 ms" if init else ""
    return (
        f"REPORT RequestId: {request}\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
        f"Memory Size: 128 MB\tMax Memory Used: 40 MB{cold}"
    )


def test_rows_newest_first_with_status_and_start() -> None:
    logs = FakeLogs()
    logs.add("s1", "START RequestId: a", _report("a", init=True))
    logs.add("s1", "START RequestId: b", "[ERROR] boom", _report("b"))
    recent = RecentInvocations(logs, "g")  # type: ignore[arg-type]
    assert recent.update()
    html = recent.html()
    assert html.index(">b<") < html.index(">a<")
    assert [r[2] for r in recent.rows] == [
        '<span class="ok">success</span>',
        '<span class="err">error</span>',
    ]
    assert [r[4] for r in recent.rows] == ["cold", "warm"]


def test_only_new_batches_are_read_after_the_first() -> None:
    logs = FakeLogs()
    logs.add("s1", "START RequestId: a", _report("a"))
    recent = RecentInvocations(logs, "g")  # type: ignore[arg-type]
    recent.update()
    assert not recent.update()  # nothing new: nothing added
    logs.add("s2", "START RequestId: c", _report("c"))
    assert recent.update()
    assert logs.reads[0][0] == "latest"
    assert [r for r in logs.reads[1:] if r[0] == "read"][-1] == ("read", 2)
    assert len(recent.rows) == 2


def test_an_error_line_in_a_batch_of_its_own_still_counts() -> None:
    logs = FakeLogs()
    logs.add("s1", "START RequestId: a")
    recent = RecentInvocations(logs, "g")  # type: ignore[arg-type]
    assert not recent.update()
    logs.add("s1", "[ERROR] late")
    logs.add("s1", _report("a"))
    assert recent.update()
    assert "error" in recent.rows[-1][2]
