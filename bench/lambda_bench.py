"""Lambda benchmarks: cold start through the zygote, warm invoke through the Invoke API."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from common import ROOT, Row, percentile, start_peer, start_serverlite, stop
from rounds import alternate, per_round, ratio, spread
from serverlite.functions.environment import Settings
from serverlite.functions.environment_process import Invocation
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygotes
from serverlite.template.model import FunctionSpec

APP = ROOT / "bench" / "app"


def _bench_function() -> FunctionSpec:
    return FunctionSpec(
        logical_id="BenchFunction",
        stack_path=(),
        name="BenchFunction",
        arn="arn:aws:lambda:us-east-1:123456789012:function:BenchFunction",
        handler="handler.handler",
        runtime="python3.11",
        code_dir=APP,
        memory_mb=512,
        timeout_s=10,
    )


def _zygote_cold_starts(rounds: int, iterations: int) -> Callable[[], float]:
    """A round of cold starts through one zygote (kept for every round): their p50."""
    fn = _bench_function()
    loop = asyncio.new_event_loop()
    zygote = Zygotes()
    state = tempfile.TemporaryDirectory()
    pool = EnvironmentPool(zygotes=zygote, settings=Settings(), state_dir=Path(state.name))
    done = 0

    async def one_round() -> float:
        samples = []
        for _ in range(iterations):
            pool.invalidate(fn.name)  # force a fresh environment every time
            started = time.perf_counter()
            outcome = await pool.run(
                fn, Invocation(request_id=str(uuid.uuid4()), payload=b'{"n": 1}', timeout_s=10)
            )
            samples.append((time.perf_counter() - started) * 1000)
            assert outcome.ok, outcome.payload
        return percentile(samples, 50)

    def run_round() -> float:
        nonlocal done
        result = loop.run_until_complete(one_round())
        done += 1
        if done == rounds:  # the last round: tear down
            loop.run_until_complete(pool.close())
            zygote.close()
            loop.close()
            state.cleanup()
        return result

    return run_round


def _subprocess_cold_starts(iterations: int) -> float:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import handler"], cwd=APP, env=env, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50)


def cold_start(rounds: int, iterations: int) -> list[Row]:
    """A new environment + the handler's import + one invocation, vs a plain subprocess."""
    results = alternate(
        rounds,
        {
            "zygote": _zygote_cold_starts(rounds, iterations),
            "subprocess": lambda: _subprocess_cold_starts(iterations),
        },
    )
    ours, peer = results["zygote"], results["subprocess"]
    return [
        Row(
            "cold start p50 (handler imports boto3, makes a client)",
            f"{spread(ours).show('.1f', ' ms')} zygote fork",
            f"{spread(peer).show('.1f', ' ms')} `python -c 'import handler'`",
            f"{ratio(ours, peer).show('.0%')} of the subprocess's time",
            f"{iterations} cold starts per round, one at a time",
            "<= 50 ms",
            spread(ours).median <= 50,
        )
    ]


def _invoke_api_round(conn: http.client.HTTPConnection, iterations: int) -> list[float]:
    path = "/2015-03-31/functions/BenchFunction/invocations"
    body = json.dumps({"n": 1}).encode()
    # The endpoint wants a SigV4-shaped Authorization, as AWS does (it verifies none).
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/"
        "aws4_request, SignedHeaders=host, Signature=0"
    }
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status == 200
    return samples


def _in_process_round(iterations: int) -> list[float]:
    sys.path.insert(0, str(APP))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import handler  # type: ignore[import-not-found]

    event = {"n": 1}
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        json.dumps(handler.handler(json.loads(json.dumps(event)), None))
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def warm_invoke(rounds: int, iterations: int) -> list[Row]:
    """Warm Invoke API round trips vs calling the handler in-process. What serverlite
    adds is the round trip less the client's own floor (the same client and connection
    against bench/peers/invoke_stub.py, which answers at once with the same response)
    less the handler's own time (in-process)."""
    with tempfile.TemporaryDirectory() as state:
        proc, port = start_serverlite(APP / "template.yaml", Path(state))
        stub, stub_port = start_peer([sys.executable, str(ROOT / "bench/peers/invoke_stub.py")])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            floor = http.client.HTTPConnection("127.0.0.1", stub_port, timeout=10)
            _invoke_api_round(conn, 20)  # warm up: environment started, connection open
            _invoke_api_round(floor, 20)
            results = alternate(
                rounds,
                {
                    "api": lambda: _invoke_api_round(conn, iterations),
                    "floor": lambda: _invoke_api_round(floor, iterations),
                    "local": lambda: _in_process_round(iterations),
                },
            )
            conn.close()
            floor.close()
        finally:
            stop(stub)
            stop(proc)
    rows = []
    for q in (50, 99):
        api, client, local = (
            [percentile(samples, q) for samples in results[side]]
            for side in ("api", "floor", "local")
        )
        added = spread([a - c - h for a, c, h in zip(api, client, local, strict=True)])
        rows.append(
            Row(
                f"warm invoke p{q} (Invoke API over HTTP)",
                spread(api).show(".3f", " ms"),
                f"{spread(client).show('.3f', ' ms')} client floor (stub server) + "
                f"{spread(local).show('.4f', ' ms')} in-process",
                f"+{added.show('.3f', ' ms')} added by serverlite "
                f"(+{per_round(api, local, lambda a, b: a - b).show('.3f', ' ms')} over "
                "in-process alone)",
                f"{iterations} sequential invokes per round, one keep-alive connection "
                "(http.client, SigV4-shaped header: signatures are not verified); floor: "
                "the same client and calls to bench/peers/invoke_stub.py, which answers "
                "at once",
                "added <= 0.2 ms" if q == 50 else "",  # issue #22
                added.median <= 0.2 if q == 50 else None,
            )
        )
    return rows


def lambda_rows(rounds: int, scale: float) -> list[Row]:
    return [
        *cold_start(rounds, iterations=max(5, int(20 * scale))),
        *warm_invoke(rounds, iterations=max(200, int(1000 * scale))),
    ]
