"""A bounded HTTP/1.1 load generator: N concurrent clients on one loopback URL.

Each client keeps one connection alive, or (``fresh=True``) opens a new connection
for every request and closes it after the answer (``Connection: close``; the time
includes the connect). Sends at most ``requests`` requests (split across clients) or
stops after ``max_seconds``, whichever comes first; returns throughput and latency
percentiles.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from common import percentile


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        """Successful (< 400) responses per second: a throttled or failed one counts not."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """One request and its whole answer; the status."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    status = int(head.split(b" ", 2)[1])
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str,
    port: int,
    raw: bytes,
    count: int,
    deadline: float,
    latencies: list[float],
    failures: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            status = await _exchange(reader, writer, raw)
            latencies.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                failures.append(status)
    finally:
        writer.close()


async def _fresh_connections(
    host: str,
    port: int,
    raw: bytes,
    count: int,
    deadline: float,
    latencies: list[float],
    failures: list[int],
) -> None:
    for _ in range(count):
        if time.perf_counter() > deadline:
            return
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection(host, port)
        try:
            status = await _exchange(reader, writer, raw)
        finally:
            writer.close()
        latencies.append((time.perf_counter() - started) * 1000)
        if status >= 400:
            failures.append(status)


def run_load(
    host: str,
    port: int,
    path: str,
    *,
    connections: int = 8,
    requests: int = 20_000,
    max_seconds: float = 10.0,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    fresh: bool = False,
) -> LoadResult:
    if fresh:
        headers = {**(headers or {}), "Connection": "close"}
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    raw = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: serverlite-bench\r\n"
        f"{extra}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def go() -> LoadResult:
        latencies: list[float] = []
        failures: list[int] = []
        started = time.perf_counter()
        deadline = started + max_seconds
        per = max(1, requests // connections)
        client = _fresh_connections if fresh else _connection
        await asyncio.gather(
            *(
                client(host, port, raw, per, deadline, latencies, failures)
                for _ in range(connections)
            )
        )
        elapsed = time.perf_counter() - started
        return LoadResult(
            len(latencies),
            elapsed,
            percentile(latencies, 50),
            percentile(latencies, 99),
            len(failures),
        )

    return asyncio.run(go())


async def _one_shot(host: str, port: int, raw: bytes) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        response = await reader.read()  # Connection: close: until the server closes
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, (time.perf_counter() - started) * 1000


def run_burst(
    host: str, port: int, path: str, *, concurrency: int = 1000, max_seconds: float = 60.0
) -> tuple[LoadResult, list[bytes]]:
    """``concurrency`` requests at once, each on its own connection; the result and the
    response bodies."""
    raw = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()

    async def go() -> tuple[LoadResult, list[bytes]]:
        started = time.perf_counter()
        results = await asyncio.wait_for(
            asyncio.gather(*(_one_shot(host, port, raw) for _ in range(concurrency))),
            max_seconds,
        )
        elapsed = time.perf_counter() - started
        latencies = [ms for _, _, ms in results]
        return (
            LoadResult(
                len(results),
                elapsed,
                percentile(latencies, 50),
                percentile(latencies, 99),
                sum(1 for status, _, _ in results if status >= 400),
            ),
            [body for _, body, _ in results],
        )

    return asyncio.run(go())
