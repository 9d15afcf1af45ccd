"""The in-process test client (serverlite.testing) and gateway limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from serverlite.gateway.model import ThrottleSpec
from serverlite.testing import LocalApp

pytestmark = pytest.mark.integration

HANDLER = (
    "import json\n"
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'body': json.dumps({'path': event.get('path') or "
    "event.get('rawPath'), 'headers': event['headers']})}\n"
)


def write_app(root: Path, api: str, extra_fn: str = "") -> Path:
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(HANDLER)
    template = root / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    Runtime: python3.11\n    CodeUri: src/\n"
        "    Handler: app.handler\n"
        f"Resources:\n{api}"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        f"{extra_fn}"
        "      Events:\n        E:\n          Type: HttpApi\n"
        "          Properties: {ApiId: !Ref Api, Path: /hello, Method: get}\n"
    )
    return template


def test_test_client_enters_below_the_socket(tmp_path):
    template = write_app(tmp_path, "  Api:\n    Type: AWS::Serverless::HttpApi\n")

    async def go():
        async with LocalApp(template) as app, app.client() as client:
            ok = await client.get("/hello", headers={"X-Thing": "1"})
            missing = await client.get("/nope")
        return ok, missing

    ok, missing = asyncio.run(go())
    assert ok.status_code == 200
    assert ok.json()["headers"]["x-thing"] == "1"
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}


def test_stage_throttling_answers_429(tmp_path):
    api = (
        "  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n"
        "      DefaultRouteSettings:\n        ThrottlingRateLimit: 1\n"
        "        ThrottlingBurstLimit: 2\n"
    )
    template = write_app(tmp_path, api)

    async def go():
        async with LocalApp(template) as app, app.client() as client:
            return [await client.get("/hello") for _ in range(4)]

    statuses = [r.status_code for r in asyncio.run(go())]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses[2:]


def test_function_at_reserved_concurrency_zero_is_an_integration_failure(tmp_path):
    template = write_app(
        tmp_path,
        "  Api:\n    Type: AWS::Serverless::HttpApi\n",
        extra_fn="      ReservedConcurrentExecutions: 0\n",
    )

    async def go():
        async with LocalApp(template) as app, app.client() as client:
            return await client.get("/hello")

    response = asyncio.run(go())
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_route_throttle_applies_to_its_route_only(tmp_path):
    api = (
        "  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n"
        # A token every 1,000 s: the first request takes the burst's one, and the next
        # two are throttled however long each takes on a loaded machine (rate 1/s let a
        # token back in while a slow first request ran).
        '      RouteSettings:\n        "GET /hello":\n          ThrottlingRateLimit: 0.001\n'
        "          ThrottlingBurstLimit: 1\n"
    )
    template = write_app(tmp_path, api)

    async def go():
        async with LocalApp(template) as app, app.client() as client:
            return [(await client.get("/hello")).status_code for _ in range(3)]

    statuses = asyncio.run(go())
    assert statuses[0] == 200
    assert statuses[1:] == [429, 429]


def test_the_account_throttle_is_shared_by_every_api_and_adjustable(tmp_path):
    # API Gateway's account-wide limit (10,000/s, burst 5,000 by default) counts the
    # requests of all APIs together; here it is lowered to a burst of 3.
    apis = "".join(f"  {name}:\n    Type: AWS::Serverless::HttpApi\n" for name in ("Api", "Other"))
    template = write_app(tmp_path, apis)
    text = template.read_text() + (
        "        O:\n          Type: HttpApi\n"
        "          Properties: {ApiId: !Ref Other, Path: /hello, Method: get}\n"
    )
    template.write_text(text)

    async def go():
        limit = ThrottleSpec(rate=0.001, burst=3)
        async with (
            LocalApp(template, api_account_limit=limit) as app,
            app.client("Api") as one,
            app.client("Other") as other,
        ):
            return [
                (await client.get("/hello")).status_code for client in (one, other, one, other, one)
            ]

    assert asyncio.run(go()) == [200, 200, 200, 429, 429]
