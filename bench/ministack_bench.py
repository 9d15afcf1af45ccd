"""MiniStack beside serverlite (issue 22): the same boto3 client code against both.

MiniStack (``ministack`` on PyPI, pinned in bench/peers/ministack-requirements.txt) is a
Python local AWS emulator that also runs Python Lambdas without Docker (a worker
process per function, its ``local`` executor). It pins a botocore older than
serverlite's, so it lives in a virtualenv of its own (``make bench`` makes it:
.venv/peers/ministack, or BENCH_MINISTACK_PYTHON names another interpreter). The bench
binds port 0, hands the listening socket to MiniStack's ASGI server (hypercorn
``--bind fd://N``, as ``ministack -d`` runs it) and tells it the port (GATEWAY_PORT), so
no port is probed; serverlite is started with ``--aws-port 0 --port 0`` and its ports are
read from the urls.json it writes once bound. MiniStack's state is kept with
PERSIST_STATE=1 (saved at shutdown, loaded at start).

The app (bench/app_peer): one function behind an HTTP API and an SQS mapping, one
DynamoDB table, one SQS queue. serverlite provisions it from the template; MiniStack has
no templates, so the bench makes the same resources through its API, as its users'
start scripts do (CreateTable, CreateQueue, CreateFunction; the API and the mapping
where a row needs them).

Each round, each side in turn (the order rotating):
- lifecycle: start on an empty state until ListTables answers with the table (MiniStack:
  its resources created first); stop; restart on that state until it answers again; the
  PSS of the whole process tree 1 s after it is up and idle; 500 PutItems, each
  acknowledged, then kill -9 of the process group, a restart, and a count of what
  survived.
- SQS -> Lambda: 2,000 messages queued with the mapping off, then drained with it on
  (serverlite: a restart with Enabled=true, as its mappings live in the template;
  MiniStack: UpdateEventSourceMapping); messages/s from the first handled to the last.
- requests, on a server started once per suite: GetItem p50 (sequential), a warm
  Invoke p50 (sequential, trivial handler), and the HTTP API route at 8 keep-alive
  connections (serverlite's API account quota raised, as the gateway suite does).
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import ROOT, Row, percentile, serverlite_command, stop, timed_calls
from common import aws_client as client
from loadgen import run_load
from pss import read_tree
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_peer"
MINISTACK_VENV = ROOT / ".venv" / "peers" / "ministack"
MINISTACK_PYTHON = Path(os.environ.get("BENCH_MINISTACK_PYTHON", MINISTACK_VENV / "bin" / "python"))
TABLE, QUEUE, FUNCTION = "bench", "bench", "bench"
ROLE = "arn:aws:iam::000000000000:role/bench"
DURABLE_PUTS = 500
SQS_MESSAGES = 2000
SENDERS = 4  # client threads sending batches of 10
CONNECTIONS = 8
SETTLE_S = 1.0  # idle before the PSS is read
POLL_S = 0.005
DEADLINE_S = 120.0


def _until(what: str, proc: subprocess.Popen[bytes], attempt: Callable[[], bool]) -> float:
    """Call ``attempt`` until it returns True (errors: not up yet); the monotonic time."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: the server exited with {proc.returncode}")
        try:
            if attempt():
                return time.monotonic()
        except Exception:  # not listening or not ready yet: ask again
            pass
        time.sleep(POLL_S)
    raise RuntimeError(f"{what}: no answer within {DEADLINE_S:.0f} s")


def _has_table(url: str, table: str = TABLE) -> Callable[[], bool]:
    ddb = client("dynamodb", url, connect_timeout=1, read_timeout=60)
    return lambda: table in ddb.list_tables()["TableNames"]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 of the server and everything it started (its own process group)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str  # the AWS endpoint
    api: str  # the HTTP API's GET /hello, as a path on ``url``'s host
    api_port: int


# --- serverlite ----------------------------------------------------------------------


def _serverlite_start(state: Path, out: Path, *args: str, enabled: bool = False) -> Server:
    """``serverlite up`` on bench/app_peer, every port from the OS; once urls.json names
    them (written as soon as they are bound, before anything is served)."""
    urls_file = state / "urls.json"
    urls_file.unlink(missing_ok=True)  # the last run's names its ports, not this one's
    state.mkdir(parents=True, exist_ok=True)
    log = open(state.parent / f"{state.name}.log", "ab")  # noqa: SIM115 (the child's)
    proc = subprocess.Popen(
        serverlite_command(
            APP / "template.yaml", state,
            "--parameter-overrides", f"OutFile={out}",
            "--parameter-overrides", f"Enabled={'true' if enabled else 'false'}", *args,
        ),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    log.close()
    urls: dict[str, Any] = {}

    def bound() -> bool:
        urls.update(json.loads(urls_file.read_text()))
        return True

    _until("serverlite's urls.json", proc, bound)
    api = urls["apis"]["ServerlessHttpApi"]
    host_port, _, path = api.removeprefix("http://").partition("/")
    route = f"/{path}".rstrip("/") + "/hello"
    return Server(proc, urls["aws"], route, int(host_port.rpartition(":")[2]))


def _serverlite_ready(server: Server, state: Path) -> None:
    """Until serverlite says it is up (its functions' zygote ready, not only the endpoint)."""
    log = state.parent / f"{state.name}.log"
    _until("serverlite is up", server.proc, lambda: "serverlite is up" in log.read_text())


# --- MiniStack -----------------------------------------------------------------------


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def _ministack_start(sock: socket.socket, state: Path) -> subprocess.Popen[bytes]:
    if not MINISTACK_PYTHON.exists():
        raise RuntimeError(
            f"MiniStack is not installed at {MINISTACK_PYTHON} (make bench installs it)"
        )
    state.mkdir(parents=True, exist_ok=True)
    log = open(state.parent / f"{state.name}.log", "ab")  # noqa: SIM115 (the child's)
    port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(MINISTACK_PYTHON), "-m", "hypercorn", "ministack.app:app",
         "--bind", f"fd://{sock.fileno()}", "--keep-alive", "75", "--log-level", "WARNING"],
        pass_fds=[sock.fileno()], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "GATEWAY_PORT": str(port), "PERSIST_STATE": "1",
             "STATE_DIR": str(state), "LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    log.close()
    return proc


def _code_zip(app: Path = APP) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(app / "handler.py", "handler.py")
    return buffer.getvalue()


def _ministack_resources(url: str, out: Path) -> str:
    """The table, the queue and the function, as bench/app_peer declares them; the
    function's ARN."""
    client("dynamodb", url).create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    client("sqs", url).create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "30"})
    made = client("lambda", url).create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": _code_zip()},
        MemorySize=128,
        Timeout=10,
        Environment={"Variables": {"BENCH_OUT": str(out)}},
    )
    return str(made["FunctionArn"])


def _ministack_api(url: str, function_arn: str, route: str = "/hello") -> str:
    """An HTTP API with GET /hello -> the function (payload 2.0), on its $default stage;
    the path MiniStack serves it on (/_aws/execute-api/{api}/{stage}/...)."""
    apis = client("apigatewayv2", url)
    api = apis.create_api(Name="bench", ProtocolType="HTTP")["ApiId"]
    integration = apis.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    apis.create_route(ApiId=api, RouteKey=f"GET {route}", Target=f"integrations/{integration}")
    apis.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return f"/_aws/execute-api/{api}/$default{route}"


# --- lifecycle: start, restart, idle PSS, kill -9 ---------------------------------------


@dataclass(frozen=True)
class Lifecycle:
    start_s: float  # until ListTables names the table (MiniStack: made through its API)
    first_answer_s: float  # until ListTables first answers (MiniStack: still empty)
    restart_s: float
    idle_mib: float
    survived: int


def _tree_mib(pid: int) -> float:
    return sum(p.pss_kib for p in read_tree(pid).values()) / 1024


def _put_acknowledged(url: str) -> None:
    ddb = client("dynamodb", url)
    for i in range(DURABLE_PUTS):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"durable-{i}"}, "n": {"N": str(i)}})


def _count(url: str) -> int:
    ddb = client("dynamodb", url)
    count, start = 0, None
    while True:
        page = ddb.scan(
            TableName=TABLE,
            Select="COUNT",
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": "durable-"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        count += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def serverlite_lifecycle() -> Lifecycle:
    with tempfile.TemporaryDirectory() as tmp:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        started = time.monotonic()
        server = _serverlite_start(state, out)
        try:
            start_s = _until("start", server.proc, _has_table(server.url)) - started
        finally:
            stop(server.proc)
        first_answer_s = start_s  # the template's resources exist before it answers
        started = time.monotonic()
        server = _serverlite_start(state, out)
        try:
            restart_s = _until("restart", server.proc, _has_table(server.url)) - started
            _serverlite_ready(server, state)
            time.sleep(SETTLE_S)
            idle = _tree_mib(server.proc.pid)
            _put_acknowledged(server.url)
        finally:
            _kill_group(server.proc)
        server = _serverlite_start(state, out)
        try:
            _until("restart after kill -9", server.proc, _has_table(server.url))
            survived = _count(server.url)
        finally:
            stop(server.proc)
    return Lifecycle(start_s, first_answer_s, restart_s, idle, survived)


def ministack_lifecycle() -> Lifecycle:
    with tempfile.TemporaryDirectory() as tmp, _listening() as sock:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        listed = _has_table(url)
        started = time.monotonic()
        proc = _ministack_start(sock, state)
        try:
            ddb = client("dynamodb", url, connect_timeout=1, read_timeout=60)
            first_answer_s = _until("start", proc, lambda: bool(ddb.list_tables() or True))
            first_answer_s -= started
            _ministack_resources(url, out)
            start_s = _until("start", proc, listed) - started
        finally:
            stop(proc)
        started = time.monotonic()
        proc = _ministack_start(sock, state)
        try:
            restart_s = _until("restart", proc, listed) - started
            time.sleep(SETTLE_S)
            idle = _tree_mib(proc.pid)
            _put_acknowledged(url)
        finally:
            _kill_group(proc)
        proc = _ministack_start(sock, state)
        try:
            _until("restart after kill -9", proc, listed)
            survived = _count(url)
        finally:
            stop(proc)
    return Lifecycle(start_s, first_answer_s, restart_s, idle, survived)


def ministack_version() -> str:
    """The installed MiniStack's version, as pip recorded it (the table names it)."""
    found = subprocess.run(
        [str(MINISTACK_PYTHON), "-c",
         "import importlib.metadata as m; print(m.version('ministack'))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return found.stdout.strip()


# --- beside the startup suite (bench/startup_bench.py PEERS) -----------------------------

STARTUP_APP = ROOT / "bench" / "app_startup"


def startup_side(state: Path, route: str) -> tuple[float, float]:
    """MiniStack on the startup suite's one-function app (bench/app_startup: a table, a
    queue, a function behind an HTTP API), from process start: (ListTables naming the
    table, the route's first 200), asked at once on two threads as the suite asks
    serverlite. On a cold state the bench makes the resources through MiniStack's API
    once it answers (it has no templates); a restart loads them (PERSIST_STATE=1)."""
    api_file = state.parent / f"{state.name}.api-path"  # beside MiniStack's own files
    with _listening() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        listed = _has_table(url, "startup-items")
        started = time.monotonic()
        proc = _ministack_start(sock, state)
        found: dict[str, float] = {}

        def get() -> bool:
            if not api_file.exists():
                return False
            with urllib.request.urlopen(url + api_file.read_text(), timeout=60) as reply:
                reply.read()
                return bool(reply.status == 200)

        def until(name: str, attempt: Callable[[], bool]) -> Callable[[], None]:
            return lambda: found.update({name: _until(name, proc, attempt) - started})

        threads = [
            threading.Thread(target=until("list", listed)),
            threading.Thread(target=until("api", get)),
        ]
        try:
            for thread in threads:
                thread.start()
            if not api_file.exists():  # cold: its resources, as a start script makes them
                ddb = client("dynamodb", url, connect_timeout=1, read_timeout=60)
                _until("start", proc, lambda: bool(ddb.list_tables() or True))
                ddb.create_table(
                    TableName="startup-items",
                    BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                )
                client("sqs", url).create_queue(QueueName="startup-jobs")
                made = client("lambda", url).create_function(
                    FunctionName="Hello",
                    Runtime="python3.11",
                    Role=ROLE,
                    Handler="handler.handler",
                    Code={"ZipFile": _code_zip(STARTUP_APP)},
                    MemorySize=128,
                    Timeout=10,
                )
                api_file.write_text(_ministack_api(url, made["FunctionArn"], route))
            for thread in threads:
                thread.join()
        finally:
            stop(proc)
    if "list" not in found or "api" not in found:
        raise RuntimeError("MiniStack did not answer within the deadline")
    return found["list"], found["api"]


# --- SQS -> Lambda ------------------------------------------------------------------------


def _enqueue(url: str, count: int) -> None:
    """``count`` messages in batches of 10 from SENDERS threads."""
    sqs = client("sqs", url, max_pool_connections=SENDERS * 2)
    queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    batches = count // 10
    entries = [{"Id": str(i), "MessageBody": json.dumps({"n": i})} for i in range(10)]

    def send(share: int) -> None:
        for _ in range(share):
            sqs.send_message_batch(QueueUrl=queue, Entries=entries)

    shares = [batches // SENDERS + (1 if i < batches % SENDERS else 0) for i in range(SENDERS)]
    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _drained(out: Path, count: int, proc: subprocess.Popen[bytes]) -> float:
    """Messages/s from the first handled to the last, once ``count`` were."""

    def lines() -> list[str]:
        return out.read_text().splitlines() if out.exists() else []

    _until(f"{count} messages handled", proc, lambda: len(lines()) >= count)
    handled = sorted(float(line) for line in lines())
    return len(handled) / max(handled[-1] - handled[0], 1e-6)


def serverlite_sqs(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        server = _serverlite_start(state, out)
        try:
            _until("start", server.proc, _has_table(server.url))
            _enqueue(server.url, count)
        finally:
            stop(server.proc)
        server = _serverlite_start(state, out, enabled=True)
        try:
            return _drained(out, count, server.proc)
        finally:
            stop(server.proc)


def ministack_sqs(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp, _listening() as sock:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        proc = _ministack_start(sock, state)
        try:
            ddb = client("dynamodb", url, connect_timeout=1, read_timeout=60)
            _until("start", proc, lambda: bool(ddb.list_tables() or True))
            function_arn = _ministack_resources(url, out)
            sqs = client("sqs", url)
            queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
            lam = client("lambda", url)
            mapping = lam.create_event_source_mapping(
                EventSourceArn=queue_arn["Attributes"]["QueueArn"],
                FunctionName=function_arn,
                BatchSize=10,
                Enabled=False,
            )["UUID"]
            _enqueue(url, count)
            lam.update_event_source_mapping(UUID=mapping, Enabled=True)
            return _drained(out, count, proc)
        finally:
            stop(proc)


# --- requests on a running server -----------------------------------------------------------


@dataclass(frozen=True)
class Requests:
    get_item_ms: float  # p50
    invoke_ms: float  # p50
    api_rps: float
    api_p99_ms: float


def _requests_side(
    server: Server, gets: int, invokes: int, api_requests: int
) -> Callable[[], Requests]:
    ddb = client("dynamodb", server.url)
    lam = client("lambda", server.url)
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "get"}, "name": {"S": "Ada Lovelace"}})
    key = {"pk": {"S": "get"}}

    def get(_: int = 0) -> object:
        return ddb.get_item(TableName=TABLE, Key=key)

    def invoke(_: int = 0) -> object:
        reply = lam.invoke(FunctionName=FUNCTION, Payload=b"{}")
        if "FunctionError" in reply:
            raise RuntimeError(f"invoke failed: {reply['Payload'].read()[:200]!r}")
        return reply["Payload"].read()

    def api() -> Any:
        return run_load(
            "127.0.0.1", server.api_port, server.api,
            connections=CONNECTIONS, requests=api_requests, max_seconds=20,
        )  # fmt: skip

    # Warm: the connection, botocore's caches, the function, the route.
    timed_calls(get, 20)
    timed_calls(invoke, 5)
    warm = api()
    if warm.errors:
        raise RuntimeError(f"the HTTP API answered {warm.errors} errors while warming up")

    def once() -> Requests:
        load = api()
        if load.errors:
            raise RuntimeError(f"the HTTP API answered {load.errors} errors")
        return Requests(
            percentile(timed_calls(get, gets), 50),
            percentile(timed_calls(invoke, invokes), 50),
            load.rps,
            load.p99_ms,
        )

    return once


@contextmanager
def serverlite_running() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        # API Gateway's account quota (10,000 requests/s) would cap the HTTP API row:
        # raised, as AWS raises it on request (the gateway suite does the same).
        server = _serverlite_start(
            state, Path(tmp) / "out.txt",
            "--api-account-rate", "1000000", "--api-account-burst", "1000000",
        )  # fmt: skip
        try:
            _serverlite_ready(server, state)
            yield server
        finally:
            stop(server.proc)


@contextmanager
def ministack_running() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as tmp, _listening() as sock:
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        proc = _ministack_start(sock, Path(tmp) / "state")
        try:
            ddb = client("dynamodb", url, connect_timeout=1, read_timeout=60)
            _until("start", proc, lambda: bool(ddb.list_tables() or True))
            arn = _ministack_resources(url, Path(tmp) / "out.txt")
            yield Server(proc, url, _ministack_api(url, arn), port)
        finally:
            stop(proc)


# --- the rows -----------------------------------------------------------------------------


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def ministack_rows(rounds: int, scale: float) -> list[Row]:
    if not MINISTACK_PYTHON.exists():
        raise RuntimeError(f"MiniStack is not installed at {MINISTACK_PYTHON} (make bench does)")
    peer = f"MiniStack {ministack_version()}"
    count = SQS_MESSAGES if scale >= 1 else max(200, int(SQS_MESSAGES * scale))
    gets = max(100, int(300 * scale))
    invokes = max(30, int(100 * scale))
    api_requests = max(500, int(2000 * scale))
    lifecycles = alternate(
        rounds, {"serverlite": serverlite_lifecycle, "ministack": ministack_lifecycle}
    )
    drains = alternate(
        rounds,
        {"serverlite": lambda: serverlite_sqs(count), "ministack": lambda: ministack_sqs(count)},
    )
    with serverlite_running() as ours, ministack_running() as theirs:
        requests = alternate(
            rounds,
            {
                "serverlite": _requests_side(ours, gets, invokes, api_requests),
                "ministack": _requests_side(theirs, gets, invokes, api_requests),
            },
        )
    load = _load()

    def at_most(
        name: str, pair: tuple[list[float], list[float]], spec: str, unit: str, setup: str,
        limit: float, target: str, note: str = "",
    ) -> Row:  # fmt: skip
        """A row where less is better: met when serverlite's median is at most ``limit``."""
        o, m = pair
        return Row(
            f"vs MiniStack: {name}",
            spread(o).show(spec, unit),
            f"{spread(m).show(spec, unit)} {peer}{note}",
            f"{ratio(o, m).show('.0%')} of MiniStack's",
            setup,
            target,
            spread(o).median <= limit,
        )

    def life(pick: Callable[[Lifecycle], float]) -> tuple[list[float], list[float]]:
        return [pick(r) for r in lifecycles["serverlite"]], [
            pick(r) for r in lifecycles["ministack"]
        ]

    def req(pick: Callable[[Requests], float]) -> tuple[list[float], list[float]]:
        return [pick(r) for r in requests["serverlite"]], [pick(r) for r in requests["ministack"]]

    invoke = req(lambda r: r.invoke_ms)
    first_answer = spread(life(lambda r: r.first_answer_s)[1])
    rows = [
        at_most(
            "start → first ListTables OK (1 function, 1 table, 1 queue)",
            life(lambda r: r.start_s), ".2f", " s",
            "empty state; from process start, on the client's clock; MiniStack's resources "
            f"made through its API (it has no templates); {load}",
            0.25, "≤ 0.25 s",
            f"; its first answer (no resources yet) {first_answer.show('.2f', ' s')}",
        ),
        at_most(
            "restart on existing state → first ListTables OK",
            life(lambda r: r.restart_s), ".2f", " s",
            "the state the start left (MiniStack: PERSIST_STATE=1)",
            0.25, "≤ 0.25 s",
        ),
        at_most(
            "idle PSS of the process tree",
            life(lambda r: r.idle_mib), ".1f", " MiB",
            f"after the restart, {SETTLE_S:g} s idle, nothing invoked (serverlite: its zygote "
            "up); every process in the tree",
            40.0, "≤ 40 MiB",
        ),
        at_most(
            "DynamoDB GetItem p50 (boto3)",
            req(lambda r: r.get_item_ms), ".3f", " ms",
            f"{gets} sequential calls per round, one boto3 client",
            1.0, "≤ 1 ms",
        ),
        at_most(
            "warm Invoke p50, trivial handler (boto3)",
            invoke, ".2f", " ms",
            f"{invokes} sequential invokes per round, one boto3 client (its own time "
            "included: the Invoke API's overhead alone is the lambda suite's row)",
            spread(invoke[1]).median, "faster than MiniStack",
        ),
    ]  # fmt: skip
    drain = drains["serverlite"], drains["ministack"]
    rows.append(
        Row(
            f"vs MiniStack: SQS → Lambda, {count:,} messages",
            f"{spread(drain[0]).show()} msg/s",
            f"{spread(drain[1]).show()} msg/s {peer}",
            ratio(*drain).show(".1f", "x"),
            f"queued with the mapping off ({SENDERS} threads, batches of 10), then drained, "
            "batch 10; first to last handled",
            "≥ 2,000 msg/s",
            spread(drain[0]).median >= 2000,
        )
    )
    rps, p99 = req(lambda r: r.api_rps), req(lambda r: r.api_p99_ms)
    rows.append(
        Row(
            f"vs MiniStack: HTTP API → Lambda req/s, {CONNECTIONS} connections (p99)",
            f"{spread(rps[0]).show()} (p99 {spread(p99[0]).show('.1f', ' ms')})",
            f"{spread(rps[1]).show()} (p99 {spread(p99[1]).show('.1f', ' ms')}) {peer}",
            ratio(*rps).show(".1f", "x"),
            f"up to {api_requests:,} requests per round (20 s at most), keep-alive; "
            "serverlite's API account quota raised",
            "p99 ≤ 2 ms",
            spread(p99[0]).median <= 2.0,
        )
    )
    kept = life(lambda r: r.survived)
    rows.append(
        Row(
            "vs MiniStack: acknowledged PutItems surviving kill -9",
            f"{spread(kept[0]).show()}/{DURABLE_PUTS}",
            f"{spread(kept[1]).show()}/{DURABLE_PUTS} {peer}",
            "",
            f"{DURABLE_PUTS} sequential PutItems, each answered 200, then kill -9 of the "
            "process group, a restart, a count",
            f"{DURABLE_PUTS}/{DURABLE_PUTS}",
            min(kept[0]) == DURABLE_PUTS,
        )
    )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(ministack_rows(1, float(sys.argv[1]) if len(sys.argv) > 1 else 0.2), "ministack")
