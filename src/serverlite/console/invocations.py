"""A function's recent invocations, read from its log group's REPORT lines.

Each invocation is its REPORT line (duration, max memory, Init Duration on a cold
start, Status on a timeout or crash) and, as Lambda's Python runtime logs a handler's
exception, an ``[ERROR]`` line between START and REPORT in the same stream. The reader
starts from the group's newest batches (a long-running group's history is not read)
and then reads only what was stored after what it has seen, so a live page costs one
indexed query per refresh, whatever the group holds.
"""

from __future__ import annotations

import re
from collections import deque

from serverlite.console.html import esc, table, when
from serverlite.observe.logs import LogStore, StoredEvent

_REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\tDuration: (?P<duration>[\d.]+) ms.*?"
    r"Max Memory Used: (?P<memory>\d+) MB(?:\tInit Duration: (?P<init>[\d.]+) ms)?"
    r"(?:\tStatus: (?P<status>\w+))?"
)
SHOWN = 50
FIRST_BATCHES = 500  # a batch is one stream's lines of one write: at least one each
READ_BATCHES = 1000  # per query, when catching up


class RecentInvocations:
    def __init__(self, logs: LogStore, group: str, keep: int = SHOWN) -> None:
        self.logs = logs
        self.group = group
        self.rows: deque[tuple[str, ...]] = deque(maxlen=keep)
        self._after = -1  # the last batch read; -1: nothing read yet
        self._failed_in: dict[str, bool] = {}  # stream -> its running invocation logged [ERROR]

    def update(self) -> bool:
        """Read what is new; whether an invocation was added."""
        if self._after < 0:
            events = self.logs.latest(self.group, FIRST_BATCHES)
            added = self._take(events)
            self._after = max((e.id for e in events), default=0)
            return added
        added = False
        while True:
            events = self.logs.read(self.group, after_id=self._after, limit=READ_BATCHES)
            if not events:
                return added
            added = self._take(events) or added
            self._after = events[-1].id

    def _take(self, events: list[StoredEvent]) -> bool:
        added = False
        for event in events:
            message = event.message
            if message.startswith("START RequestId:"):
                self._failed_in[event.log_stream] = False
            elif message.startswith("[ERROR]"):
                self._failed_in[event.log_stream] = True
            match = _REPORT.match(message)
            if match is None:
                continue
            failed = self._failed_in.pop(event.log_stream, False)
            status = match["status"] or ("error" if failed else "success")
            cls = "ok" if status == "success" else "err"
            self.rows.append(
                (
                    f'<span class="request">{esc(match["id"])}</span>',
                    esc(when(event.timestamp_ms / 1000)),
                    f'<span class="{cls}">{esc(status)}</span>',
                    f"{float(match['duration']):.2f} ms",
                    "cold" if match["init"] else "warm",
                    f"{match['memory']} MB",
                )
            )
            added = True
        return added

    def html(self) -> str:
        return table(
            ("Request", "Time", "Status", "Duration", "Start", "Max memory"),
            list(reversed(self.rows)),
            "no invocations yet",
        )
