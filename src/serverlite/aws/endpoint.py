"""The AWS endpoint: one port that speaks the wire protocols of the emulated services.

Requests an SDK would not send (a foreign Host, a browser's Origin, no SigV4
signature) are refused first (``dispatch.admission``). The rest go to the dispatcher
of their protocol: ``X-Amz-Target`` to JSON 1.0/1.1 (``dispatch.json_rpc``), a
form-encoded ``Action`` to the query protocol (``dispatch.query``), a service path to
rest-json (``dispatch.rest_json``: Lambda, Scheduler), and S3's requests (signed for
``s3``, or addressed to ``bucket.localhost``) to rest-xml (``dispatch.rest_xml``).
Each service gives its faces. Lambda's Invoke, the call made most, is served by a lane
in front of that chain with the chain's own checks in one frame (``dispatch.lane``).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from serverlite import __version__
from serverlite.aws import lambda_api
from serverlite.aws.backend import (
    AwsError,
    JsonService,
    QueryService,
    RestJsonService,
    RestXmlService,
)
from serverlite.aws.dispatch import cbor_rpc, errors, json_rpc, query, rest_json
from serverlite.aws.dispatch.admission import HEALTH_PATH, Admission, AllowedHosts
from serverlite.aws.dispatch.faults import Current, ServiceFaults
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.aws.dispatch.lane import Lane
from serverlite.aws.dispatch.rest_xml import RestXmlRouter, is_s3, web_request_allowed
from serverlite.aws.dispatch.shield import Shield
from serverlite.aws.dispatch.tracing import TraceHeaders
from serverlite.ids import request_id
from serverlite.invoker import Invoker
from serverlite.observe.publishing import Publisher
from serverlite.observe.tracing import Tracer

LOOPBACK_ONLY = AllowedHosts()


def build_app(
    invoker: Invoker,
    json_services: Sequence[JsonService] = (),
    query_services: Sequence[QueryService] = (),
    rest_services: Sequence[RestJsonService] = (),  # besides Lambda: Scheduler, ...
    hosts: AllowedHosts = LOOPBACK_ONLY,
    rest_xml_service: RestXmlService | None = None,  # S3
    tracer: Tracer | None = None,
    publisher: Publisher | None = None,
    iam: IamCheck | None = None,  # None: IAM off, every caller allowed
    faults: ServiceFaults | None = None,  # a test's injected service faults
) -> Lane:
    services = {service.target_prefix: service for service in json_services}
    lambda_routes = rest_json.routes(lambda_api.face(invoker), iam)
    # The lane's: Invoke, by its operation's name (not by where the face lists it).
    invoke_routes = [r for r in lambda_routes if rest_json.operation_of(r) == "Invoke"]
    by_signing_name = {service.signing_name: service for service in query_services}

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "running",
                "version": __version__,
                "functions": [fn.name for fn in invoker.app.functions],
                "services": sorted(
                    {"lambda", *services, *by_signing_name}
                    | ({rest_xml_service.signing_name} if rest_xml_service else set())
                ),
            }
        )

    async def root(request: Request) -> Response:
        if "x-amz-target" in request.headers:
            return await json_rpc.dispatch(request, services, iam)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return await query.dispatch(request, by_signing_name, iam)
        if request.method == "GET" and "Action" in request.query_params:
            return await query.dispatch(request, by_signing_name, iam)  # SNS SubscribeURL, ...
        return not_found(request)

    async def cbor(request: Request) -> Response:
        return await cbor_rpc.dispatch(request, services, iam)

    def not_found(request: Request, exc: Exception | None = None) -> Response:
        return errors.error_for(
            request.scope,
            AwsError(
                "UnknownOperation",
                f"serverlite does not implement {request.method} {request.url.path}",
                404,
            ),
            request_id(),
        )

    web = web_request_allowed(rest_xml_service)
    chain = Starlette(
        routes=[
            # Lambda's first: the router tries routes in order, and Invoke is the call
            # that is made most (no other route's path overlaps them).
            *lambda_routes,
            Route("/", root, methods=["GET", "POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route(cbor_rpc.PATH, cbor, methods=["POST"]),  # smithy-rpc-v2-cbor: CloudWatch
            *(route for service in rest_services for route in rest_json.routes(service, iam)),
        ],
        exception_handlers={404: not_found, 405: not_found},
        middleware=[
            Middleware(Shield),  # anything unanswered: AWS's InternalFailure, connection kept
            *([Middleware(Current, faults=faults)] if faults is not None else []),  # S3's too
            # what no SDK sends is refused first (but what S3's CORS rules let a page do)
            Middleware(Admission, hosts=hosts, web=web),
            Middleware(
                RestXmlRouter, service=rest_xml_service, iam=iam, publisher=publisher
            ),  # S3: bucket + key paths
            *(
                [Middleware(TraceHeaders, tracer=tracer, publisher=publisher)]
                if tracer is not None or publisher is not None
                else []
            ),
        ],
    )
    admission = Admission(chain, hosts, web)

    def refused(scope: Scope) -> bool:  # what the chain would refuse, or give S3
        if admission.refusal(scope) is not None:
            return True
        return rest_xml_service is not None and is_s3(scope)

    # Invoke, past the chain: its checks in one frame (the lane takes only what would
    # match its route fully and what those checks let through).
    return Lane(
        chain,
        invoke_routes,
        refused=refused,
        faults=faults,
        tracer=tracer,
        publisher=publisher,
    )
