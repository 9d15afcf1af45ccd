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
from pathlib import Path

from common import ROOT, Row, free_port, percentile, start_serverlite, stop
from serverlite.functions.environment import Settings
from serverlite.functions.environment_process import Invocation
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygote
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


def cold_start(iterations: int) -> list[Row]:
    """A new environment + the handler's import + one invocation, vs a plain subprocess."""
    fn = _bench_function()

    async def zygote_cold() -> list[float]:
        zygote = Zygote()
        await asyncio.get_running_loop().run_in_executor(None, zygote.start)
        with tempfile.TemporaryDirectory() as state:
            pool = EnvironmentPool(zygote=zygote, settings=Settings(), state_dir=Path(state))
            samples = []
            for _ in range(iterations):
                pool.invalidate(fn.name)  # force a fresh environment every time
                started = time.perf_counter()
                outcome = await pool.run(
                    fn, Invocation(request_id=str(uuid.uuid4()), payload=b'{"n": 1}', timeout_s=10)
                )
                samples.append((time.perf_counter() - started) * 1000)
                assert outcome.ok, outcome.payload
            await pool.close()
        zygote.close()
        return samples

    ours = asyncio.run(zygote_cold())
    peer = []
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    for _ in range(iterations):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import handler"], cwd=APP, env=env, check=True)
        peer.append((time.perf_counter() - started) * 1000)
    o50, p50 = percentile(ours, 50), percentile(peer, 50)
    return [
        Row(
            "cold start p50 (handler imports boto3, makes a client)",
            f"{o50:.1f} ms (zygote fork)",
            f"{p50:.1f} ms (python -c 'import handler')",
            f"{p50 / o50:.1f}x faster",
            "<= 50 ms",
        )
    ]


def warm_invoke(iterations: int) -> list[Row]:
    """Warm Invoke API round trips vs calling the handler in-process."""
    port = free_port()
    with tempfile.TemporaryDirectory() as state:
        proc = start_serverlite(APP / "template.yaml", Path(state), port)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            path = "/2015-03-31/functions/BenchFunction/invocations"
            body = json.dumps({"n": 1}).encode()
            for _ in range(20):  # warm up: environment started, connection open
                conn.request("POST", path, body)
                conn.getresponse().read()
            api = []
            for _ in range(iterations):
                started = time.perf_counter()
                conn.request("POST", path, body)
                response = conn.getresponse()
                response.read()
                api.append((time.perf_counter() - started) * 1000)
                assert response.status == 200
            conn.close()
        finally:
            stop(proc)
    sys.path.insert(0, str(APP))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import handler  # type: ignore[import-not-found]

    event = {"n": 1}
    local = []
    for _ in range(iterations):
        started = time.perf_counter()
        json.dumps(handler.handler(json.loads(json.dumps(event)), None))
        local.append((time.perf_counter() - started) * 1000)
    a50, a99 = percentile(api, 50), percentile(api, 99)
    l50, l99 = percentile(local, 50), percentile(local, 99)
    return [
        Row(
            "warm invoke p50 (Invoke API over HTTP)",
            f"{a50:.3f} ms",
            f"{l50:.4f} ms in-process",
            f"overhead {a50 - l50:.3f} ms",
            "overhead <= 1 ms",
        ),
        Row(
            "warm invoke p99",
            f"{a99:.3f} ms",
            f"{l99:.4f} ms in-process",
            f"overhead {a99 - l99:.3f} ms",
            "",
        ),
    ]
