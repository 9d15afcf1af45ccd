"""Function URLs under `serverlite up` (examples/function-urls): streaming chunks arrive
before the function ends, AWS_IAM takes only SigV4-signed requests, CORS, the payload
2.0 event, and the function URL API over boto3."""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from serverlite.iam import credentials
from serverlite.template import load_application
from tests.integration.conftest import Server, cli, lambda_client, start_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLE = Path(__file__).parents[3] / "examples" / "function-urls" / "template.yaml"
ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        EXAMPLE, tmp_path_factory.mktemp("urls") / "state", "--port", "0", "--no-reload"
    )
    try:
        yield server
    finally:
        server.stop()


def urls(server: Server) -> dict[str, str]:
    return dict(re.findall(r"^URL (\S+): (\S+)\s*$", server.output(), re.MULTILINE))


def signed(url: str, credentials: Credentials, body: bytes = b"") -> dict[str, str]:
    request = AWSRequest("POST", url, data=body, headers={"content-type": "text/plain"})
    SigV4Auth(credentials, "lambda", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_stream_chunks_arrive_before_the_function_finishes(app):
    started = time.monotonic()
    arrivals: list[tuple[float, bytes]] = []
    with httpx.stream("GET", urls(app)["Ticker"] + "?count=3&pause=0.6", timeout=20) as reply:
        assert reply.status_code == 200
        assert reply.headers["transfer-encoding"] == "chunked"
        assert reply.headers["x-ticks"] == "3"
        assert reply.headers["content-type"] == "text/plain"
        for chunk in reply.iter_raw():
            arrivals.append((time.monotonic() - started, chunk))
    body = b"".join(chunk for _, chunk in arrivals).decode()
    ticks = [json.loads(line) for line in body.splitlines()[:-1]]
    assert [t["tick"] for t in ticks] == [0, 1, 2]
    assert body.endswith("done\n")
    first_tick = next(at for at, chunk in arrivals if b'"tick": 0' in chunk)
    # The function sleeps 0.6 s after each of its 3 ticks: 1.8 s at least in all.
    assert arrivals[-1][0] - first_tick >= 1.5, arrivals
    # ...and the first tick was in the client's hands before the function went on.
    assert first_tick < arrivals[-1][0] - 1.0


def test_iam_url_refuses_unsigned_and_badly_signed_requests(app):
    url = urls(app)["Whoami"]
    unsigned = httpx.post(url, content=b"hi")
    assert unsigned.status_code == 403
    assert unsigned.json() == {"Message": "Forbidden"}
    # A function's own credentials (what its environment holds): serverlite verifies those.
    keys = credentials.for_function(load_application(EXAMPLE).functions[0].arn)
    local = Credentials(keys.access_key_id, keys.secret_access_key)
    headers = signed(url, local, b"hi")
    tampered = httpx.post(url, content=b"hello", headers=headers)  # not the signed body
    assert tampered.status_code == 403
    wrong_service = signed(url, local, b"hi")
    wrong_service["Authorization"] = wrong_service["Authorization"].replace("/lambda/", "/s3/")
    assert httpx.post(url, content=b"hi", headers=wrong_service).status_code == 403
    # Any other access key is taken as AWS takes a valid one, but not 20 minutes late.
    stale = signed(url, Credentials("AKIDEXAMPLE", "secret"), b"hi")
    then = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20)
    stale["X-Amz-Date"] = then.strftime("%Y%m%dT%H%M%SZ")
    assert httpx.post(url, content=b"hi", headers=stale).status_code == 403
    assert httpx.post(url, content=b"hi", headers=headers).status_code == 200


def test_iam_url_event_is_payload_2_0_with_the_caller(app):
    url = urls(app)["Whoami"]
    headers = signed(url + "path/x?a=1&a=2&b=", Credentials("AKIDEXAMPLE", "secret"), b"hi")
    headers["Cookie"] = "c1=v1; c2=v2"
    reply = httpx.post(url + "path/x?a=1&a=2&b=", content=b"hi", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["set-cookie"] == "seen=1; Path=/"
    event: dict[str, Any] = reply.json()["event"]
    url_id = event["requestContext"]["apiId"]
    assert re.fullmatch(r"[a-z0-9]{32}", url_id)
    context = event["requestContext"]
    assert context["domainName"] == f"{url_id}.lambda-url.us-east-1.on.aws"
    assert context["domainPrefix"] == url_id
    assert (context["routeKey"], context["stage"]) == ("$default", "$default")
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/path/x"
    assert context["authorizer"]["iam"]["accessKey"] == "AKIDEXAMPLE"
    assert context["accountId"] == "123456789012"
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/path/x"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["body"] == "hi"
    assert event["isBase64Encoded"] is False
    assert "cookie" not in event["headers"]


def test_cors_preflight_is_answered_without_the_function(app):
    url = urls(app)["Ticker"]
    reply = httpx.options(url, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert reply.headers["access-control-allow-methods"] == "GET,POST"
    assert reply.headers["access-control-max-age"] == "300"
    assert reply.text == ""  # the generator's ticks would be here had it run
    other = httpx.options(
        url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_get_att_function_url_is_the_local_url_and_host_routing(app):
    client = lambda_client(app)
    payload = json.loads(client.invoke(FunctionName="Links")["Payload"].read())
    assert payload == {"ticker": urls(app)["Ticker"]}
    whoami = client.get_function_url_config(FunctionName="Whoami")
    assert whoami["AuthType"] == "AWS_IAM"
    assert whoami["FunctionUrl"] == urls(app)["Whoami"]  # local, as GetAtt gives it
    # Whoami's host name on Ticker's port reaches Whoami (403: it wants SigV4); an
    # unknown URL id is 404.
    (whoami_id,) = re.findall(r"^Whoami .*https://([a-z0-9]{32})\.lambda-url", app.output(), re.M)
    ticker = urls(app)["Ticker"]
    reply = httpx.get(ticker, headers={"Host": f"{whoami_id}.lambda-url.localhost"})
    assert reply.status_code == 403
    reply = httpx.get(ticker, headers={"Host": f"{'x' * 32}.lambda-url.localhost"})
    assert reply.status_code == 404


def test_function_url_api_creates_serves_updates_and_deletes(app):
    client = lambda_client(app)
    created = client.create_function_url_config(
        FunctionName="Links", AuthType="NONE", Cors={"AllowOrigins": ["*"]}
    )
    url = created["FunctionUrl"]
    assert urlsplit(url).hostname == "127.0.0.1"
    assert created["FunctionArn"].endswith(":function:Links")
    assert httpx.get(url).json() == {"ticker": urls(app)["Ticker"]}
    with pytest.raises(ClientError) as caught:
        client.create_function_url_config(FunctionName="Links", AuthType="NONE")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    client.update_function_url_config(FunctionName="Links", AuthType="AWS_IAM")
    assert httpx.get(url).status_code == 403
    listed = client.list_function_url_configs(FunctionName="Links")["FunctionUrlConfigs"]
    assert [(c["FunctionUrl"], c["AuthType"]) for c in listed] == [(url, "AWS_IAM")]
    found = cli("urls", "--state-dir", str(app.state_dir))
    assert f"URL Links: {url}" in found.stdout, found
    client.delete_function_url_config(FunctionName="Links")
    with pytest.raises(ClientError) as caught:
        client.get_function_url_config(FunctionName="Links")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
