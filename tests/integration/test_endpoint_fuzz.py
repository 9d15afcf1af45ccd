"""Hypothesis fuzzes every operation of every service on the AWS endpoint: request
bodies shaped by botocore's model of the operation's input, then mutated (wrong types,
huge strings, deep nesting, odd unicode, missing required and extra members). Whatever
arrives, the endpoint answers below 500, in the protocol's AWS error shape, and a second
client's health check keeps being answered within a second.

The budget is ``SERVERLITE_FUZZ_EXAMPLES`` examples per operation (small in `make test`);
a larger run (see docs/security.md) is
``SERVERLITE_FUZZ_EXAMPLES=500 make test ARGS="tests/integration/test_endpoint_fuzz.py"``.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serverlite.aws.backend import RestRoute
from serverlite.aws.dispatch.admission import HEALTH_PATH
from serverlite.aws.dynamodb.service import OPERATIONS as DYNAMODB
from serverlite.aws.events.ops_schedules import ROUTES as SCHEDULER_ROUTES
from serverlite.aws.events.service import OPERATIONS as EVENTS
from serverlite.aws.lambda_api import ROUTES as LAMBDA_ROUTES
from serverlite.aws.secretsmanager.service import OPERATIONS as SECRETSMANAGER
from serverlite.aws.sns.service import OPERATIONS as SNS
from serverlite.aws.sqs.service import OPERATIONS as SQS
from serverlite.aws.ssm.service import OPERATIONS as SSM
from tests.integration.conftest import Server, aws_client, sigv4

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("SERVERLITE_FUZZ_EXAMPLES", "5"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis directory in the checkout
    suppress_health_check=list(HealthCheck),
)
MODELS = botocore.session.get_session()
MAX_DEPTH = 5  # of the model's own nesting; the "deep" mutation goes past it on purpose


@dataclass(frozen=True)
class Json:
    """A JSON 1.0/1.1 service: signing name, target prefix, content-type version."""

    signing: str
    prefix: str
    version: str


JSON_SERVICES = {
    "dynamodb": (Json("dynamodb", "DynamoDB_20120810", "1.0"), DYNAMODB),
    "sqs": (Json("sqs", "AmazonSQS", "1.0"), SQS),
    "ssm": (Json("ssm", "AmazonSSM", "1.1"), SSM),
    "secretsmanager": (Json("secretsmanager", "secretsmanager", "1.1"), SECRETSMANAGER),
    "events": (Json("events", "AWSEvents", "1.1"), EVENTS),
}
QUERY_SERVICES = {"sns": ("2010-03-31", SNS), "sqs": ("2012-11-05", SQS)}
REST_SERVICES = {"lambda": LAMBDA_ROUTES, "scheduler": SCHEDULER_ROUTES}
# serverlite's names for operations whose model name differs
MODEL_NAMES = {"InvokeFunction": "Invoke"}

# --- values -------------------------------------------------------------------------

ODD = st.sampled_from(
    [
        *("\x00", "\u202e", "\u200f", "\U0001f600", "\U00010348", "\ud800", "\udfff", "\ufeff"),
        *("\uffff", "e\u0301", "\x7f", "\n", "%", "&", "=", "'", '"', "<", "\\", "*", "$"),
    ]
)
TEXT = st.lists(st.one_of(ODD, st.text(max_size=6)), max_size=8).map("".join)
HUGE = st.tuples(
    st.sampled_from(["a", "9", "\U0001f600", "\u00e9", "*a", "("]), st.integers(5_000, 100_000)
).map(lambda unit_count: unit_count[0] * unit_count[1])
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
ANY = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _nest(kind_depth: tuple[str, int]) -> Any:
    kind, depth = kind_depth
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "L" else {kind: value}
    return value


# past DynamoDB's 32 levels and Python's comfortable recursion, bounded
DEEP = st.tuples(st.sampled_from(["L", "M", "S", "a"]), st.integers(10, 400)).map(_nest)
WRONG = st.one_of(ANY, HUGE, DEEP, TEXT)


Names = st.SearchStrategy[str]
# members whose right values make a request legitimately slow: SQS long polling
BOUNDED = {"WaitTimeSeconds": st.sampled_from([-1, 0, 21, 2**70, "1", None, [0]])}


def _right(shape: Shape, depth: int, names: Names) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, depth, names)
    if depth >= MAX_DEPTH:
        return SCALAR
    if kind == "list":
        return st.lists(_value(shape.member, depth + 1, names), max_size=3)
    if kind == "map":
        return st.dictionaries(TEXT, _value(shape.value, depth + 1, names), max_size=3)
    if kind == "string":
        enum = shape.enum
        return (st.sampled_from(enum) if enum else names) | TEXT
    if kind in ("integer", "long"):
        return st.integers(-(2**40), 2**40) | st.integers(-3, 30)
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(-(2**34), 2**34) | st.floats(0, 2**33) | TEXT
    return TEXT  # blob: base64 in JSON, or not


@st.composite
def _value(draw: st.DrawFn, shape: Shape, depth: int, names: Names, wrong: int = 8) -> Any:
    """The right type, but one time in ``wrong`` anything else."""
    return draw(WRONG if draw(st.integers(1, wrong)) == 1 else _right(shape, depth, names))


@st.composite
def _structure(draw: st.DrawFn, shape: Shape, depth: int, names: Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if depth >= MAX_DEPTH:
        return out
    required = set(shape.required_members)
    for name, member in shape.members.items():
        if member.serialization.get("location") in ("uri", "header", "headers"):
            continue  # in the path or headers, not the body
        # required members mostly there, optional ones half the time
        if draw(st.integers(0, 9)) < (9 if name in required else 5):
            out[name] = draw(BOUNDED[name] if name in BOUNDED else _value(member, depth + 1, names))
    if draw(st.integers(0, 9)) == 0:
        out[draw(TEXT)] = draw(ANY)  # a member the model does not have
    return out


def _input(service: str, operation: str, names: Names) -> st.SearchStrategy[Any]:
    model = MODELS.get_service_model(service).operation_model(MODEL_NAMES.get(operation, operation))
    if model.input_shape is None:
        return st.fixed_dictionaries({}) | st.dictionaries(TEXT, ANY, max_size=2)
    return _value(model.input_shape, 0, names, wrong=10)


# --- the wire -------------------------------------------------------------------------


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates reach the wire as-is


def _json_body(value: Any, ascii_only: bool) -> bytes:
    # JSON escapes lone surrogates (\ud800) when ASCII-only, else sends their raw bytes
    return _utf8(json.dumps(value, ensure_ascii=ascii_only))


def _form(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    """Query-protocol flattening: Struct.Member, List.member.N, scalars as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _form(f"{prefix}.{key}" if prefix else str(key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from _form(f"{prefix}.member.{index}", item)
    elif isinstance(value, bool):
        yield prefix, str(value).lower()
    else:
        yield prefix, "" if value is None else str(value)


def _form_body(action: str, version: str, value: Any) -> bytes:
    pairs = [("Action", action), ("Version", version), *_form("", value)]
    return b"&".join(
        urllib.parse.quote_from_bytes(_utf8(key), safe="")
        .encode()
        .join([b"", b"=" + urllib.parse.quote_from_bytes(_utf8(item), safe="").encode()])
        for key, item in pairs
    )


class Client:
    """One keep-alive connection (reopened if the server closes it)."""

    def __init__(self, server: Server) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()  # the server may close after refusing a body: a fresh one
            raise
        if response.getheader("connection", "").lower() == "close":
            self.conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


class Watchdog:
    """A second client asking for health every 0.2 s; any answer slower than 1 s, or
    none, is a stalled port."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.stalls: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=1)
                conn.request("GET", HEALTH_PATH)
                status = conn.getresponse().status
                conn.close()
            except OSError as exc:
                self.stalls.append(f"health failed: {exc!r}")
                continue
            took = time.monotonic() - started
            if status != 200 or took > 1:
                self.stalls.append(f"health answered {status} in {took:.2f} s")


@pytest.fixture(scope="module")
def watchdog(app_server: Server) -> Iterator[Watchdog]:
    dog = Watchdog(app_server)
    dog.thread.start()
    yield dog
    dog.stop.set()
    dog.thread.join(timeout=5)


@pytest.fixture(scope="module")
def known(app_server: Server) -> Names:
    """Real resources, so that right-shaped requests reach past "does not exist"."""
    dynamodb = aws_client(app_server, "dynamodb")
    table = dynamodb.create_table(
        TableName="fuzz",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    sqs = aws_client(app_server, "sqs")
    queues = [
        sqs.create_queue(QueueName="fuzz")["QueueUrl"],
        sqs.create_queue(QueueName="fuzz.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"],
    ]
    topic = aws_client(app_server, "sns").create_topic(Name="fuzz")["TopicArn"]
    aws_client(app_server, "ssm").put_parameter(Name="/fuzz", Value="v", Type="String")
    secret = aws_client(app_server, "secretsmanager").create_secret(Name="fuzz", SecretString="s")
    rule = aws_client(app_server, "events").put_rule(
        Name="fuzz", EventPattern=json.dumps({"source": ["fuzz"]})
    )["RuleArn"]
    functions = aws_client(app_server, "lambda").list_functions()["Functions"]
    return st.sampled_from(
        [
            *("fuzz", "fuzz.fifo", "/fuzz", "pk", "default", table, topic, rule, *queues),
            *(secret["ARN"], *(fn["FunctionName"] for fn in functions)),
        ]
    )


@pytest.fixture
def client(app_server: Server, watchdog: Watchdog) -> Iterator[Client]:
    watchdog.stalls.clear()
    conn = Client(app_server)
    yield conn
    conn.conn.close()
    assert not watchdog.stalls, f"a port stalled: {watchdog.stalls}"


def _answered(status: int, body: bytes, case: Any) -> None:
    assert status < 500, (status, body[:2000], repr(case)[:2000])


# --- the operations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation"),
    [(name, op) for name, (_, ops) in JSON_SERVICES.items() for op in ops],
)
def test_json_operation(client: Client, known: Names, service: str, operation: str) -> None:
    spec = JSON_SERVICES[service][0]
    headers = {
        "X-Amz-Target": f"{spec.prefix}.{operation}",
        "Content-Type": f"application/x-amz-json-{spec.version}",
        "Authorization": sigv4(spec.signing),
    }

    @FUZZ
    @given(value=_input(service, operation, known), ascii_only=st.integers(0, 3).map(bool))
    def fuzz(value: Any, ascii_only: bool) -> None:
        status, found, body = client.send("POST", "/", _json_body(value, ascii_only), headers)
        _answered(status, body, value)
        if status >= 400:
            assert found["content-type"] == f"application/x-amz-json-{spec.version}", body
            assert "__type" in json.loads(body), body

    fuzz()


@pytest.mark.parametrize(
    ("service", "operation"),
    [(name, op) for name, (_, ops) in QUERY_SERVICES.items() for op in ops],
)
def test_query_operation(client: Client, known: Names, service: str, operation: str) -> None:
    version = QUERY_SERVICES[service][0]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": sigv4(service),
    }

    @FUZZ
    @given(value=_input(service, operation, known))
    def fuzz(value: Any) -> None:
        status, found, body = client.send(
            "POST", "/", _form_body(operation, version, value), headers
        )
        _answered(status, body, value)
        if status >= 400:
            assert found["content-type"].startswith("text/xml"), body
            assert b"<ErrorResponse" in body and b"<Code>" in body, body

    fuzz()


def _path(route: RestRoute, name: str, query: dict[str, str]) -> str:
    path = route.path.replace("{name}", urllib.parse.quote_from_bytes(_utf8(name), safe=""))
    if query:
        path += "?" + "&".join(
            urllib.parse.quote_from_bytes(_utf8(k), safe="")
            + "="
            + urllib.parse.quote_from_bytes(_utf8(v), safe="")
            for k, v in query.items()
        )
    return path


@pytest.mark.parametrize(
    ("service", "route"),
    [(name, route) for name, routes in REST_SERVICES.items() for route in routes],
    ids=lambda v: v.operation + "-" + v.method if isinstance(v, RestRoute) else v,
)
def test_rest_json_operation(client: Client, known: Names, service: str, route: RestRoute) -> None:
    headers = {"Authorization": sigv4(service), "Content-Type": "application/json"}
    bodies = (
        _input(service, route.operation, known) if route.method in ("POST", "PUT") else st.none()
    )

    @FUZZ
    @given(
        name=TEXT.filter(bool) | HUGE | known,
        query=st.dictionaries(TEXT, TEXT, max_size=3),
        value=bodies,
        ascii_only=st.integers(0, 3).map(bool),
    )
    def fuzz(name: str, query: dict[str, str], value: Any, ascii_only: bool) -> None:
        body = None if value is None else _json_body(value, ascii_only)
        status, found, answer = client.send(route.method, _path(route, name, query), body, headers)
        _answered(status, answer, (name, query, value))
        if status >= 400:
            assert found.get("x-amzn-errortype"), (status, found, answer)

    fuzz()
