"""The WebSocket chat (examples/websocket-chat) under `serverlite up`, driven by a real
websocket client over loopback: the authorizer on $connect, broadcast through
PostToConnection, the two-way $default route, $disconnect, the Management API over
boto3, and API Gateway's limits (32 KB frames, the idle timeout)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.integration.conftest import Server, aws_client, cli, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLE = Path(__file__).parents[3] / "examples" / "websocket-chat" / "template.yaml"


def _start(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Server:
    state = tmp_path_factory.mktemp("chat") / "state"
    return start_server(EXAMPLE, state, "--port", "0", "--no-reload", *args)


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = _start(tmp_path_factory)
    try:
        yield server
    finally:
        server.stop()


def urls(server: Server) -> tuple[str, str]:
    found = re.search(r"^WebSocket ChatApi: (\S+) \(@connections: (\S+)\)", server.output(), re.M)
    assert found, server.output()
    return found.group(1), found.group(2)


def join(server: Server, name: str) -> ClientConnection:
    return connect(f"{urls(server)[0]}?token=letmein&name={name}", open_timeout=20)


def stored(server: Server) -> list[str]:
    table = aws_client(server, "dynamodb")
    return sorted(i["nickname"]["S"] for i in table.scan(TableName="ConnectionsTable")["Items"])


def management(server: Server) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=urls(server)[1],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        verify=str(server.state_dir / "tls" / "localhost.pem"),
        config=Config(retries={"max_attempts": 0}),
    )


def test_serverlite_urls_prints_the_websocket_url(chat):
    found = cli("urls", "--state-dir", str(chat.state_dir))
    assert f"WebSocket ChatApi: {urls(chat)[0]}" in found.stdout, found


def test_connect_needs_the_authorizers_allow(chat):
    with pytest.raises(InvalidStatus) as denied:
        connect(f"{urls(chat)[0]}?token=wrong", open_timeout=20)
    assert denied.value.response.status_code == 403
    assert json.loads(denied.value.response.body) == {"message": "Forbidden"}
    with pytest.raises(InvalidStatus) as missing:  # no identity source: not even invoked
        connect(urls(chat)[0], open_timeout=20)
    assert missing.value.response.status_code == 401


def test_chat_broadcasts_to_the_others_and_forgets_who_left(chat):
    with join(chat, "alice") as alice, join(chat, "bob") as bob, join(chat, "carol") as carol:
        assert wait_for(lambda: stored(chat) == ["alice", "bob", "carol"])
        alice.send(json.dumps({"action": "sendmessage", "data": "hi all"}))
        for other in (bob, carol):
            assert json.loads(other.recv(timeout=20)) == {"from": "alice", "data": "hi all"}
        with pytest.raises(TimeoutError):
            alice.recv(timeout=0.5)  # the sender is not sent its own message
        carol.close()
        assert wait_for(lambda: stored(chat) == ["alice", "bob"], timeout=20)
        bob.send(json.dumps({"action": "sendmessage", "data": "bye"}))
        assert json.loads(alice.recv(timeout=20)) == {"from": "bob", "data": "bye"}
    assert wait_for(lambda: stored(chat) == [], timeout=20)


def test_default_route_answers_the_sender(chat):
    with join(chat, "dana") as dana:
        dana.send("not json")
        answer = json.loads(dana.recv(timeout=20))
        assert answer == {"echo": "not json", "sourceIp": "127.0.0.1"}


def test_management_api_over_boto3(chat):
    api = management(chat)
    with join(chat, "erin") as erin:
        erin.send(json.dumps({"action": "whoami"}))  # $default: GetConnection inside
        assert "echo" in json.loads(erin.recv(timeout=20))
        (connection_id,) = [
            i["connectionId"]["S"]
            for i in aws_client(chat, "dynamodb").scan(TableName="ConnectionsTable")["Items"]
        ]
        api.post_to_connection(ConnectionId=connection_id, Data=b"from the test")
        assert erin.recv(timeout=20) == "from the test"
        info = api.get_connection(ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["LastActiveAt"] >= info["ConnectedAt"]
        api.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed) as closed:
            erin.recv(timeout=20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    with pytest.raises(ClientError) as gone:
        api.post_to_connection(ConnectionId=connection_id, Data=b"anyone?")
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_a_frame_over_32_kb_closes_the_connection_with_1009(chat):
    with join(chat, "frank") as frank:
        frank.send("x" * (32 * 1024))  # at the limit: fine ($default echoes it)
        assert len(json.loads(frank.recv(timeout=20))["echo"]) == 32 * 1024
        frank.send("x" * (32 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            frank.recv(timeout=20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_idle_connections_are_closed_with_1001(tmp_path_factory):
    # --time-scale 600: the 10-minute idle timeout is 1 s.
    server = _start(tmp_path_factory, "--time-scale", "600")
    try:
        with join(server, "idle") as idle:
            with pytest.raises(ConnectionClosed) as closed:
                idle.recv(timeout=20)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert wait_for(lambda: stored(server) == [], timeout=20)  # $disconnect ran
    finally:
        server.stop()
