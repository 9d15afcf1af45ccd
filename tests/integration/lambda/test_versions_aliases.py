"""Versions, aliases and provisioned concurrency over the wire: examples/versions under
`serverlite up`, driven by boto3's lambda client."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import Server, cli, lambda_client, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EXAMPLE = Path(__file__).parents[3] / "examples" / "versions"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:Greeter"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    root = tmp_path_factory.mktemp("versions")
    shutil.copytree(EXAMPLE, root / "app")
    server = start_server(root / "app" / "template.yaml", root / "state", "--no-reload")
    try:
        yield server, root / "app"
    finally:
        server.stop()


def call(client: Any, name: str, qualifier: str | None = None) -> tuple[dict[str, Any], str]:
    extra = {"Qualifier": qualifier} if qualifier else {}
    response = client.invoke(FunctionName=name, Payload=b"{}", **extra)
    return json.loads(response["Payload"].read()), response["ExecutedVersion"]


def test_auto_published_alias_runs_version_1_in_provisioned_environments(app):
    server, _ = app
    client = lambda_client(server)
    body, executed = call(client, "Greeter:live")
    assert executed == "1"
    assert body["version"] == "1"
    assert body["invoked_arn"] == f"{ARN}:live"
    assert body["init_type"] == "provisioned-concurrency"
    config = client.get_provisioned_concurrency_config(FunctionName="Greeter", Qualifier="live")
    assert config["RequestedProvisionedConcurrentExecutions"] == 2
    assert config["AllocatedProvisionedConcurrentExecutions"] == 2
    assert config["Status"] == "READY"
    alias = client.get_alias(FunctionName="Greeter", Name="live")
    assert alias["AliasArn"] == f"{ARN}:live"
    assert alias["FunctionVersion"] == "1"


def test_unqualified_and_latest_run_latest(app):
    server, _ = app
    client = lambda_client(server)
    body, executed = call(client, "Greeter")
    assert (executed, body["version"], body["invoked_arn"]) == ("$LATEST", "$LATEST", ARN)
    body, executed = call(client, ARN, "$LATEST")
    assert executed == "$LATEST"
    assert body["init_type"] == "on-demand"


def test_unknown_qualifier_is_resource_not_found(app):
    server, _ = app
    client = lambda_client(server)
    for name, qualifier in (("Greeter", "nope"), ("Greeter:9", None)):
        with pytest.raises(ClientError) as caught:
            call(client, name, qualifier)
        error = caught.value.response
        assert error["Error"]["Code"] == "ResourceNotFoundException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
        missing = qualifier or "9"
        assert error["Error"]["Message"] == f"Function not found: {ARN}:{missing}"


def test_published_version_snapshots_the_code_and_aliases_route_by_weight(app):
    server, code = app
    client = lambda_client(server)
    source = code / "src" / "app.py"
    source.write_text(source.read_text().replace('"hello"', '"bonjour"'))
    published = client.publish_version(FunctionName="Greeter", Description="French")
    assert published["Version"] == "2"
    assert published["FunctionArn"] == f"{ARN}:2"
    source.write_text(source.read_text().replace('"bonjour"', '"hola"'))  # after the snapshot
    assert call(client, "Greeter", "2")[0]["greeting"] == "bonjour"
    assert call(client, "Greeter", "1")[0]["greeting"] == "hello"
    versions = client.list_versions_by_function(FunctionName="Greeter")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]

    client.create_alias(
        FunctionName="Greeter",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    seen = {call(client, "Greeter:canary")[1] for _ in range(40)}
    assert seen == {"1", "2"}  # 40 invocations at 50 %: both versions, but for 2**-39
    client.update_alias(
        FunctionName="Greeter",
        Name="canary",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    assert {call(client, "Greeter:canary")[1] for _ in range(5)} == {"2"}
    names = [a["Name"] for a in client.list_aliases(FunctionName="Greeter")["Aliases"]]
    assert names == ["canary", "live"]
    with pytest.raises(ClientError) as caught:
        client.create_alias(FunctionName="Greeter", Name="canary", FunctionVersion="1")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    client.delete_alias(FunctionName="Greeter", Name="canary")
    with pytest.raises(ClientError) as caught:
        client.get_alias(FunctionName="Greeter", Name="canary")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_provisioned_concurrency_over_the_api(app):
    server, _ = app
    client = lambda_client(server)
    version = client.publish_version(FunctionName="Greeter")["Version"]
    put = client.put_provisioned_concurrency_config(
        FunctionName="Greeter", Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    assert put["Status"] == "IN_PROGRESS"
    wait_for(
        lambda: (
            client.get_provisioned_concurrency_config(FunctionName="Greeter", Qualifier=version)[
                "Status"
            ]
            == "READY"
        )
    )
    assert call(client, "Greeter", version)[0]["init_type"] == "provisioned-concurrency"
    with pytest.raises(ClientError) as caught:
        client.put_provisioned_concurrency_config(
            FunctionName="Greeter", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    client.delete_provisioned_concurrency_config(FunctionName="Greeter", Qualifier=version)
    with pytest.raises(ClientError) as caught:
        client.get_provisioned_concurrency_config(FunctionName="Greeter", Qualifier=version)
    error = caught.value.response["Error"]["Code"]
    assert error == "ProvisionedConcurrencyConfigNotFoundException"


def test_async_invocation_of_an_alias_runs_its_version(app):
    server, code = app
    response = lambda_client(server).invoke(
        FunctionName="Greeter", Qualifier="live", InvocationType="Event", Payload=b"{}"
    )
    assert response["StatusCode"] == 202
    request_id = response["ResponseMetadata"]["RequestId"]

    def started() -> list[str]:
        template = str(code / "template.yaml")
        out = cli("logs", "Greeter", "-t", template, "--state-dir", str(server.state_dir)).stdout
        return re.findall(rf"START RequestId: {request_id} Version: \S+", out)

    assert wait_for(started, timeout=20) == [f"START RequestId: {request_id} Version: 1"]


def test_template_alias_splits_invocations_between_its_versions(app):
    server, _ = app
    client = lambda_client(server)
    seen = [call(client, "Canary:split")[1] for _ in range(40)]
    assert set(seen) == {"1", "2"}  # 50 % each: both, but for 2**-39
    alias = client.get_alias(FunctionName="Canary", Name="split")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    versions = client.list_versions_by_function(FunctionName="Canary")["Versions"]
    assert [(v["Version"], v["Description"]) for v in versions[1:]] == [
        ("1", "stable"),
        ("2", "candidate"),
    ]


def test_api_published_versions_and_aliases_survive_a_restart(app, tmp_path):
    server, code = app
    client = lambda_client(server)
    client.create_alias(FunctionName="Greeter", Name="kept", FunctionVersion="2")
    state = server.state_dir
    server.stop()
    again = start_server(code / "template.yaml", state, "--no-reload")
    try:
        restarted = lambda_client(again)
        assert call(restarted, "Greeter", "kept")[0]["greeting"] == "bonjour"
        assert call(restarted, "Greeter:live")[1] == "1"
    finally:
        again.stop()
