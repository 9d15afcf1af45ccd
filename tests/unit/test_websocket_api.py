"""WebSocket APIs without sockets: discovery from the chat example's template, route
selection, the authorizer's policy, the event shapes, the idle and 2 h limits."""

from __future__ import annotations

from pathlib import Path

from serverlite.template import load_application
from serverlite.websocket_api import events
from serverlite.websocket_api.connections import Hub
from serverlite.websocket_api.model import discover, select_route, warnings
from serverlite.websocket_api.server import _allows

EXAMPLE = Path(__file__).parents[2] / "examples" / "websocket-chat" / "template.yaml"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect"


def test_discovers_the_chat_api():
    (api,) = discover(load_application(EXAMPLE))
    assert api.stage == "prod"
    assert api.route_selection_expression == "$request.body.action"
    assert set(api.routes) == {"$connect", "$disconnect", "sendmessage", "$default"}
    connect = api.routes["$connect"]
    assert connect.function is not None and connect.function.endswith(":OnConnectFunction")
    assert connect.authorizer is not None
    assert connect.authorizer.identity_sources == ("route.request.querystring.token",)
    assert api.routes["$default"].two_way and not api.routes["sendmessage"].two_way


def test_route_selection_expression():
    assert select_route("$request.body.action", {"action": "send"}) == "send"
    assert select_route("${request.body.msg.kind}", {"msg": {"kind": "a"}}) == "a"
    assert select_route("$request.body.action", {"other": 1}) is None
    assert select_route("$request.body.action", ["action"]) is None
    assert select_route("$request.body.action", {"action": 3}) is None


def test_authorizer_policy():
    def policy(effect: str, resource: str) -> dict[str, object]:
        statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
        return {"policyDocument": {"Statement": [statement]}}

    assert _allows(policy("Allow", ARN), ARN)
    assert _allows(policy("Allow", "arn:aws:execute-api:us-east-1:123456789012:abc/*"), ARN)
    assert not _allows(policy("Deny", ARN), ARN)
    assert not _allows(policy("Allow", "arn:aws:execute-api:us-east-1:1:other/*"), ARN)
    assert not _allows({}, ARN)


def test_event_shapes_and_limits():
    (api,) = discover(load_application(EXAMPLE))
    info = events.ConnectionInfo(
        "cid=", api, "127.0.0.1:1", 100.0, "10.0.0.1", "ua", [("Host", "h")], [("a", "1")]
    )
    connect = events.connect_event(info, 100.5)
    assert connect["headers"] == {"Host": "h"}
    assert connect["queryStringParameters"] == {"a": "1"}
    context = connect["requestContext"]
    assert (context["eventType"], context["routeKey"]) == ("CONNECT", "$connect")
    assert context["connectedAt"] == 100_000 and context["requestTimeEpoch"] == 100_500
    message = events.message_event(info, "sendmessage", b"\x00", 101.0)
    assert message["isBase64Encoded"] and message["body"] == "AA=="
    assert len(message["requestContext"]["messageId"]) == 16
    gone = events.disconnect_event(info, 1001, "Going away", 102.0)
    assert gone["requestContext"]["disconnectStatusCode"] == 1001

    now = [0.0]
    hub = Hub(lambda: now[0])
    info.connected_at = 0.0
    connection = hub.add(info)
    now[0] = 599.0
    hub.enforce_limits()
    assert not connection.closed
    hub.touch(connection)
    now[0] = 1198.0
    hub.enforce_limits()
    assert not connection.closed  # active 599 s ago
    now[0] = 1199.0
    hub.enforce_limits()
    assert connection.closed  # idle for 10 minutes


def test_what_is_not_emulated_is_said(tmp_path):
    default_uri = (
        "IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
        "functions/${DefaultFunction.Arn}/invocations"
    )
    text = EXAMPLE.read_text()
    assert default_uri in text
    text = text.replace(
        "      RouteKey: sendmessage\n",
        "      RouteKey: sendmessage\n      AuthorizationType: AWS_IAM\n",
    ).replace(f"IntegrationType: AWS_PROXY\n      {default_uri}", "IntegrationType: MOCK")
    template = tmp_path / "template.yaml"
    template.write_text(text)
    (tmp_path / "src").symlink_to(EXAMPLE.parent / "src")
    found = warnings(load_application(template))
    assert len(found) == 2, found
    assert any("route sendmessage wants AWS_IAM" in w for w in found)
    assert any("DefaultIntegration is MOCK" in w for w in found)
    assert warnings(load_application(EXAMPLE)) == []
