"""The contract between the AWS endpoint and the services behind it.

Every emulated service is a ``Backend``, built by its package's ``create(context)``
from a ``ServiceContext``. A backend overrides only the faces it has; the defaults
do nothing:

    name, title             "dynamodb" (what the local client calls it), "DynamoDB"
                            (what the startup line shows)
    json                    a ``JsonService``: JSON 1.0/1.1 (``X-Amz-Target``)
    query                   a ``QueryService``: form in, XML out (SNS, SQS's older SDKs)
    rest                    a ``RestJsonService``: method + path (EventBridge Scheduler)
    rest_xml                a ``RestXmlService``: S3's rest-xml (bucket + key, streamed bodies)
    provision(app)          make the template's resources exist (idempotent)
    provisions_slowly       True: provision runs while the endpoint serves (PostgreSQL)
    holds_back(app, fn)     of a slow provisioning: whether fn's environments wait for it
    companions()            services served from this one's store (DynamoDB Streams)
    internal                operations only other services call, in-process (never on the
                            wire): EventBridge takes S3's ``aws.s3`` events this way
    start_event_sources()   background work (pollers, deliveries, schedules, TTL)
    stop_event_sources()
    begin_shutdown()        the endpoint stops taking requests: end long waits now
    close()                 release the store

A face is the service's operations table (``Operations``: ``op(context, request) ->
response``, or an awaitable of one) with what its protocol needs, and what IAM checks
for each call (``Operations.iam``: the action and resource ARNs, from the Service
Authorization Reference; without it, ``<signing name>:<Operation>`` on ``*``); the dispatchers
(``serverlite.aws.dispatch``) alone answer unknown operations, malformed or oversized
requests and failures. Operations raise ``AwsError`` for AWS-shaped errors.

A service reaches another one only through ``context.aws`` (in-process, the same
operations boto3 reaches over HTTP) and sends to ARNs through ``aws/arn_sender.py``;
it never imports another service's package. This module imports nothing else from
``serverlite.aws``.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from serverlite.defaults import AWS_ENDPOINT_URL
from serverlite.errors import ServerliteError
from serverlite.iam.request import IamRequest

if TYPE_CHECKING:
    from serverlite.invoker import Invoker
    from serverlite.observe.observer import Observer
    from serverlite.template.model import Application, FunctionSpec


class AwsError(ServerliteError):
    """An error answered in AWS's shape: code (the exception name), message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields
        self.headers: dict[str, str] = {}  # extra response headers (SQS: x-amzn-query-error)
        self.query_code: str | None = None  # the code on the query protocol, when it differs
        self.message_key: str | None = None  # rest-json: "message" or "Message", per error


MiB = 1024 * 1024

Operation = Callable[[Any, dict[str, Any]], Any]  # -> dict, or an awaitable of one
# (operation, request) -> what IAM is asked for that call (every request must be
# allowed), or None for an operation the service does not declare: then the endpoint
# asks for "<SigV4 signing name>:<Operation>" on "*". A service declares its own
# (aws/<service>/iam_actions.py), so least-privilege policies work against it.
IamMap = Callable[[str, dict[str, Any]], Sequence[IamRequest] | None]


class Deferred:
    """An operation whose module is imported on its first call (``"pkg.module:name"``):
    a service then imports at start only what its first requests need (DynamoDB's
    ListTables does not need the expression language, some 15 ms of imports)."""

    __slots__ = ("_operation", "where")

    def __init__(self, where: str) -> None:
        self.where = where
        self._operation: Operation | None = None

    def __call__(self, context: Any, request: dict[str, Any]) -> Any:
        operation = self._operation
        if operation is None:
            module, _, name = self.where.partition(":")
            operation = self._operation = getattr(importlib.import_module(module), name)
        return operation(context, request)

    def __repr__(self) -> str:
        return f"Deferred({self.where!r})"


@dataclass(frozen=True)
class Operations:
    """A service's operations and how its errors are named."""

    service: str  # "DynamoDB", "SQS", ...: for messages and logs
    context: Any  # passed to every operation
    table: Mapping[str, Operation]
    malformed: str = "SerializationException"  # a request of the wrong shape
    internal: str = "InternalFailure"  # the service's own modelled 500 error
    too_large: str = "RequestEntityTooLarge"  # a body over the limit (413)
    iam: IamMap | None = None  # the IAM action and resources of each call (see IamMap)
    # A query-compatible service's (SQS) error shape name -> its query-era code, for
    # errors the dispatch layer makes (a test's injected fault).
    query_codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventStreamOutput:
    """What an operation with an event stream output returns (botocore's
    ``has_event_stream_output``: ``StartLiveTail``): the output's other members, then
    each event as (event type, members), sent as they come. An ``AwsError`` raised by
    ``events`` whose code is one of the stream's modelled exceptions ends the stream
    with it (``SessionTimeoutException``)."""

    initial: dict[str, Any]
    events: AsyncIterator[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class JsonService:
    target_prefix: str  # the part of X-Amz-Target before the dot
    json_version: str  # "1.0" or "1.1": the response content type
    operations: Operations
    error_namespace: str = ""  # e.g. "com.amazonaws.dynamodb.v20120810#"
    max_request_bytes: int = MiB  # larger bodies are refused while read (413)
    # botocore's service name, for a service that also speaks smithy-rpc-v2-cbor (its
    # timestamps are typed by the model): "cloudwatch". Empty: JSON only.
    cbor_model: str = ""
    _model: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def model(self) -> Any:
        """botocore's service model (None without ``cbor_model``)."""
        if not self.cbor_model:
            return None
        if not self._model:
            import botocore.session

            self._model.append(botocore.session.get_session().get_service_model(self.cbor_model))
        return self._model[0]


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str  # a Starlette path: "/2015-03-31/functions/{name}/invocations"
    operation: str  # its name in the table
    json: bool = False  # the body is a JSON document: the dispatcher parses it (or refuses)


@dataclass(frozen=True)
class RestResponse:
    """What a rest-json operation answers when it is not a JSON document with 200."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"
    stream: AsyncIterable[bytes] | None = None  # sent as read instead of body (S3 GetObject)


@dataclass(frozen=True)
class RestJsonService:
    """Operations take ``{"path": {...}, "query": {...}, "headers": {...}, "body": ...}``
    (the body as bytes, or as a dict for a ``json`` route) and answer a JSON document
    (200) or a ``RestResponse``."""

    routes: tuple[RestRoute, ...]
    operations: Operations
    max_request_bytes: int = MiB
    message_key: str = "message"  # Lambda's errors say "message", Scheduler's "Message"


class RequestBody(Protocol):
    """A request body read as it arrives (S3 objects: never whole in memory). The
    dispatcher enforces the limit and decodes aws-chunked framing; a checksum sent in an
    aws-chunked trailer is in ``trailers`` once the body is read to its end."""

    trailers: Mapping[str, str]

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...


@dataclass(frozen=True)
class RestXmlService:
    """S3's face (rest-xml). Operations take ``{"bucket": str, "key": str | None,
    "query": {...}, "headers": {...}, "body": RequestBody}`` and answer a
    ``RestResponse`` (XML or object bytes, or a stream). ``route`` names the operation
    from the method, bucket, key and query; the dispatcher addresses path-style and
    virtual-hosted-style requests alike."""

    signing_name: str  # "s3": the service in the SigV4 credential scope
    operations: Operations
    route: Callable[[str, str, str | None, Mapping[str, str], Mapping[str, str]], str]
    max_request_bytes: int  # an object's body (S3: 5 GiB in one PUT)
    max_document_bytes: int = MiB  # an XML document (a configuration, a delete list)
    # CORS: a preflight's answer (bucket, key, headers) -> RestResponse, and the
    # Access-Control-* headers an actual request from a web page gets ({}: not allowed)
    preflight: Callable[[str, str | None, Mapping[str, str]], Any] | None = None
    cors: Callable[[str, str, Mapping[str, str]], Mapping[str, str]] | None = None
    clock: Callable[[], float] | None = None  # presigned URLs expire on the service's clock


@dataclass(frozen=True)
class QueryService:
    """A service's query-protocol face, told apart by the SigV4 signing name."""

    signing_name: str  # "sns", "sqs", "sts": the service in the credential scope
    operations: Operations  # (operation, structured params) -> structured result
    xml_namespace: str = ""
    max_request_bytes: int = MiB  # larger bodies are refused while read (413)
    _model: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def model(self) -> Any:
        """botocore's service model: it drives parsing the form and writing the XML."""
        if not self._model:
            import botocore.session

            self._model.append(botocore.session.get_session().get_service_model(self.signing_name))
        return self._model[0]


class AwsClient(Protocol):
    """The emulated services, called in-process (``serverlite.aws.local_client``)."""

    def has(self, service: str) -> bool: ...

    async def call(
        self, service: str, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]: ...


class _NoServices:
    """The client of a service built alone (tests): no other service answers."""

    def has(self, service: str) -> bool:
        return False

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise AwsError("ServiceUnavailable", f"serverlite does not emulate {service} here", 503)


NO_SERVICES: AwsClient = _NoServices()


@dataclass(frozen=True)
class ServiceContext:
    """What every service is built with."""

    state_dir: Path
    region: str
    account_id: str
    clock: Callable[[], float]
    endpoint_url: str = AWS_ENDPOINT_URL  # the AWS endpoint (SQS queue URLs, SNS links)
    time_scale: float = 1.0  # >1: retry delays, event ages and schedules pass faster (tests)
    aws: AwsClient = NO_SERVICES  # the other services, in-process
    observer: Observer | None = None  # traces and metrics (X-Ray, CloudWatch, Logs)


@dataclass(frozen=True)
class ProvisionedResource:
    """A line of the startup table: what the template made exist."""

    service: str  # "dynamodb", "ssm", ...
    kind: str  # "table", "parameter", ...
    name: str
    detail: str = ""


class Backend:
    """One emulated service. Override what the service has; the rest does nothing."""

    name: str = ""
    title: str = ""  # for people: "DynamoDB", "SSM Parameter Store"
    # Provisioning that takes seconds, that no other service's provisioning reads and that
    # no request on the wire waits for (an embedded PostgreSQL's initdb and start): run on
    # a thread while the endpoint already serves; functions' environments start after it.
    provisions_slowly: bool = False

    def holds_back(self, app: Application, fn: FunctionSpec) -> bool:
        """Of a slow provisioning: whether ``fn``'s environments must wait for it (they may
        reach what it makes). All of them, unless the service knows how functions reach
        what it makes."""
        return True

    @property
    def json(self) -> JsonService | None:
        return None

    @property
    def query(self) -> QueryService | None:
        return None

    @property
    def rest(self) -> RestJsonService | None:
        return None

    @property
    def rest_xml(self) -> RestXmlService | None:
        return None

    def provision(self, app: Application) -> list[ProvisionedResource]:
        """Make the template's resources exist; a restart keeps what exists."""
        return []

    @property
    def internal(self) -> Operations | None:
        """Operations AWS's own services use and no client can: reached only through
        ``context.aws.call`` (an ``aws.*`` event from S3, which PutEvents refuses)."""
        return None

    def companions(self) -> tuple[Backend, ...]:
        """Services of their own on the wire whose data is this one's: DynamoDB Streams
        is botocore's ``dynamodbstreams``, but its records commit with DynamoDB's items."""
        return ()

    async def start_event_sources(self, invoker: Invoker) -> None:
        """Start background work: pollers, deliveries, schedules (`serverlite up` only)."""

    async def stop_event_sources(self) -> None:
        pass

    def clock_moved(self) -> None:
        """The clock jumped forward (a test moved it): wake what waits for a time."""

    def template_provisioned(self) -> None:
        """Every service has provisioned the template: what is stored now is the state a
        test's ``reset`` returns to (called once, at start)."""

    def reset(self) -> None:
        """Back to the template's state (``template_provisioned``), or at least forget the
        data written since start (items, messages): a test's fresh start, without
        restarting anything."""

    def begin_shutdown(self) -> None:
        """The endpoint is stopping: answer long waits (SQS long polls) now."""

    def close(self) -> None:
        """Release the store; called once, last."""
