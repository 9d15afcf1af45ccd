"""SSM Parameter Store on `serverlite up`, driven by boto3's real ssm client."""

from __future__ import annotations

import base64
import json
import signal
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from serverlite.aws.kms_local import DecryptionError, LocalKey
from tests.integration.conftest import FIXTURES, Server, aws_client, sigv4, start_server

pytestmark = pytest.mark.integration

TEMPLATE = FIXTURES / "params_secrets" / "template.yaml"


def ssm_client(server: Server):  # type: ignore[no-untyped-def]
    return aws_client(server, "ssm")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(TEMPLATE, tmp_path_factory.mktemp("ssm") / "state")
    yield running
    running.stop()


@pytest.fixture
def ssm(server):  # type: ignore[no-untyped-def]
    return ssm_client(server)


@pytest.fixture
def base() -> str:
    """A fresh hierarchy per test, so tests sharing the server do not meet."""
    return f"/t{uuid.uuid4().hex[:10]}"


# -- the template ---------------------------------------------------------------


def test_template_parameters_exist(ssm):
    config = ssm.get_parameter(Name="/serverlite/test/config")["Parameter"]
    assert config["Value"] == "hello from the template"
    assert config["Type"] == "String"
    assert config["ARN"] == "arn:aws:ssm:us-east-1:123456789012:parameter/serverlite/test/config"
    hosts = ssm.get_parameter(Name="/serverlite/test/hosts")["Parameter"]
    assert (hosts["Type"], hosts["Value"]) == ("StringList", "a.example.com,b.example.com")
    # without a Name, the parameter is called what !Ref gives
    assert ssm.get_parameter(Name="Unnamed")["Parameter"]["Value"] == "no name given"
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": ["/serverlite/test/config"]}]
    )["Parameters"]
    assert described[0]["Description"] == "Declared in template.yaml"


# -- put and get ------------------------------------------------------------------


def test_put_get_overwrite_and_versions(ssm, base):
    name = f"{base}/greeting"
    response = ssm.put_parameter(Name=name, Value="one", Type="String")
    assert (response["Version"], response["Tier"]) == (1, "Standard")
    with pytest.raises(ssm.exceptions.ParameterAlreadyExists) as info:
        ssm.put_parameter(Name=name, Value="two", Type="String")
    assert "set the overwrite option in the request to true" in str(info.value)
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    parameter = ssm.get_parameter(Name=name)["Parameter"]
    assert (parameter["Value"], parameter["Version"], parameter["DataType"]) == ("two", 2, "text")
    assert parameter["LastModifiedDate"].year >= 2024


def test_secure_string_is_ciphertext_unless_decrypted(ssm, base):
    name = f"{base}/password"
    ssm.put_parameter(Name=name, Value="hunter2-plaintext", Type="SecureString")
    hidden = ssm.get_parameter(Name=name)["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != "hunter2-plaintext"
    assert b"hunter2" not in base64.b64decode(hidden["Value"])
    shown = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert shown["Value"] == "hunter2-plaintext"
    metadata = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])[
        "Parameters"
    ][0]
    assert metadata["KeyId"] == "alias/aws/ssm"
    custom = f"{base}/custom-key"
    ssm.put_parameter(Name=custom, Value="v", Type="SecureString", KeyId="alias/mine")
    metadata = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [custom]}])[
        "Parameters"
    ][0]
    assert metadata["KeyId"] == "alias/mine"


def test_a_name_without_slash_is_the_same_parameter(ssm, base):
    name = f"plain{base[2:]}"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    with pytest.raises(ssm.exceptions.ParameterAlreadyExists):
        ssm.put_parameter(Name=f"/{name}", Value="v2", Type="String")
    assert ssm.get_parameter(Name=f"/{name}")["Parameter"]["Name"] == name
    ssm.delete_parameter(Name=name)


def test_selectors_and_labels(ssm, base):
    name = f"{base}/selected"
    for value in ("v1", "v2", "v3"):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    one = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (one["Value"], one["Version"], one["Selector"]) == ("v1", 1, ":1")
    with pytest.raises(ssm.exceptions.ParameterVersionNotFound) as info:
        ssm.get_parameter(Name=f"{name}:9")
    assert f"could not find version 9 of {name}" in str(info.value)
    labelled = ssm.label_parameter_version(
        Name=name, ParameterVersion=2, Labels=["prod", "1bad", "awsx"]
    )
    assert labelled["InvalidLabels"] == ["1bad", "awsx"]
    assert labelled["ParameterVersion"] == 2
    prod = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert (prod["Value"], prod["Selector"]) == ("v2", ":prod")
    # a label moves: now on the latest version
    ssm.label_parameter_version(Name=name, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Version"] == 3
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=f"{name}:nolabel")
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "v3"


def test_get_parameters_reports_invalid_ones(ssm, base):
    ssm.put_parameter(Name=f"{base}/a", Value="A", Type="String")
    ssm.put_parameter(Name=f"{base}/s", Value="S", Type="SecureString")
    response = ssm.get_parameters(
        Names=[f"{base}/a", f"{base}/s", f"{base}/missing", f"{base}/a:7"], WithDecryption=True
    )
    assert {p["Name"]: p["Value"] for p in response["Parameters"]} == {
        f"{base}/a": "A",
        f"{base}/s": "S",
    }
    assert response["InvalidParameters"] == [f"{base}/missing", f"{base}/a:7"]
    with pytest.raises(ClientError) as info:
        ssm.get_parameters(Names=[f"{base}/{i}" for i in range(11)])
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "less than or equal to 10" in info.value.response["Error"]["Message"]


def test_get_parameters_by_path(ssm, base):
    for leaf in ("a", "b", "c", "d", "e"):
        ssm.put_parameter(Name=f"{base}/app/{leaf}", Value=leaf, Type="String")
    ssm.put_parameter(Name=f"{base}/app/deep/x", Value="deep", Type="SecureString")
    ssm.put_parameter(Name=f"{base}/other", Value="o", Type="String")

    flat = ssm.get_parameters_by_path(Path=f"{base}/app")["Parameters"]
    assert sorted(p["Name"].rsplit("/", 1)[1] for p in flat) == ["a", "b", "c", "d", "e"]

    paginator = ssm.get_paginator("get_parameters_by_path")
    pages = list(
        paginator.paginate(
            Path=f"{base}/app/",
            Recursive=True,
            WithDecryption=True,
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [len(page["Parameters"]) for page in pages] == [2, 2, 2]
    values = {p["Name"]: p["Value"] for page in pages for p in page["Parameters"]}
    assert values[f"{base}/app/deep/x"] == "deep"
    assert len(values) == 6

    secure = ssm.get_parameters_by_path(
        Path=base,
        Recursive=True,
        ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}],
    )["Parameters"]
    assert [p["Name"] for p in secure] == [f"{base}/app/deep/x"]
    assert secure[0]["Value"] != "deep"  # not decrypted

    with pytest.raises(ClientError) as info:
        ssm.get_parameters_by_path(Path=base, MaxResults=11)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ssm.exceptions.InvalidFilterKey):
        ssm.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    with pytest.raises(ClientError) as info:
        ssm.get_parameters_by_path(Path="no-slash")
    assert "must begin with a forward slash" in info.value.response["Error"]["Message"]
    with pytest.raises(ssm.exceptions.InvalidNextToken):
        ssm.get_parameters_by_path(Path=base, NextToken="bogus")


def test_delete_parameter_and_parameters(ssm, base):
    ssm.put_parameter(Name=f"{base}/one", Value="1", Type="String")
    ssm.put_parameter(Name=f"{base}/two", Value="2", Type="String")
    ssm.put_parameter(Name=f"{base}/three", Value="3", Type="String")
    ssm.delete_parameter(Name=f"{base}/one")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=f"{base}/one")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=f"{base}/one")
    response = ssm.delete_parameters(Names=[f"{base}/two", f"{base}/three", f"{base}/nope"])
    assert response["DeletedParameters"] == [f"{base}/two", f"{base}/three"]
    assert response["InvalidParameters"] == [f"{base}/nope"]
    # a deleted parameter starts again at version 1
    assert ssm.put_parameter(Name=f"{base}/two", Value="again", Type="String")["Version"] == 1


def test_describe_parameters_filters_and_pages(ssm, base):
    for i in range(5):
        ssm.put_parameter(
            Name=f"{base}/d/{i}",
            Value=str(i),
            Type="SecureString" if i % 2 else "String",
            Description=f"number {i}",
        )
    paginator = ssm.get_paginator("describe_parameters")
    pages = list(
        paginator.paginate(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [base]}],
            PaginationConfig={"PageSize": 2},
        )
    )
    listed = [p for page in pages for p in page["Parameters"]]
    assert [p["Name"] for p in listed] == [f"{base}/d/{i}" for i in range(5)]
    assert listed[1]["Description"] == "number 1"
    assert {p["Tier"] for p in listed} == {"Standard"}
    secure = ssm.describe_parameters(
        ParameterFilters=[
            {"Key": "Name", "Option": "BeginsWith", "Values": [f"{base}/d/"]},
            {"Key": "Type", "Values": ["SecureString"]},
        ]
    )["Parameters"]
    assert [p["Name"] for p in secure] == [f"{base}/d/1", f"{base}/d/3"]
    legacy = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [f"{base}/d/4"]}])
    assert [p["Name"] for p in legacy["Parameters"]] == [f"{base}/d/4"]
    with pytest.raises(ClientError) as info:
        ssm.describe_parameters(
            Filters=[{"Key": "Name", "Values": ["x"]}],
            ParameterFilters=[{"Key": "Name", "Values": ["x"]}],
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_parameter_history(ssm, base):
    name = f"{base}/history"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString", Description="d1")
    ssm.put_parameter(Name=name, Value="second", Overwrite=True)
    ssm.put_parameter(Name=name, Value="third", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["original"])
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [(h["Version"], h["Value"], h["Type"]) for h in history] == [
        (1, "first", "SecureString"),
        (2, "second", "SecureString"),
        (3, "third", "String"),
    ]
    assert history[0]["Labels"] == ["original"]
    assert history[1]["Description"] == "d1"  # kept when an overwrite gives none
    hidden = ssm.get_parameter_history(Name=name)["Parameters"]
    assert hidden[0]["Value"] != "first"
    first = ssm.get_parameter_history(Name=name, MaxResults=2)
    assert len(first["Parameters"]) == 2
    rest = ssm.get_parameter_history(Name=name, MaxResults=2, NextToken=first["NextToken"])
    assert [h["Version"] for h in rest["Parameters"]] == [3]
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter_history(Name=f"{base}/none")


def test_a_parameter_keeps_its_last_100_versions(ssm, base):
    name = f"{base}/many"
    for i in range(101):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    versions = [
        h["Version"]
        for page in ssm.get_paginator("get_parameter_history").paginate(Name=name)
        for h in page["Parameters"]
    ]
    assert versions == list(range(2, 102))
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["pinned"])
    with pytest.raises(ssm.exceptions.ParameterMaxVersionLimitExceeded) as info:
        ssm.put_parameter(Name=name, Value="more", Overwrite=True)
    assert "Version 2, the oldest version, can't be deleted" in str(info.value)


# -- validation -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/aws/mine", "ssm-thing", "a/b", "/with space", "/x//y"])
def test_bad_names_are_validation_errors(ssm, name):
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith('Parameter name: can\'t be prefixed with "aws" or "ssm"')


def test_hierarchy_depth_limit(ssm, base):
    fifteen = base + "".join(f"/l{i}" for i in range(14))
    ssm.put_parameter(Name=fifteen, Value="ok", Type="String")
    with pytest.raises(ssm.exceptions.HierarchyLevelLimitExceededException):
        ssm.put_parameter(Name=f"{fifteen}/sixteen", Value="no", Type="String")


def test_value_limits_and_tiers(ssm, base):
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(Name=f"{base}/big", Value="x" * 4097, Type="String")
    assert "maximum parameter value of 4096 characters" in str(info.value)
    response = ssm.put_parameter(
        Name=f"{base}/big", Value="x" * 8192, Type="String", Tier="Advanced"
    )
    assert (response["Version"], response["Tier"]) == (1, "Advanced")
    assert ssm.get_parameter(Name=f"{base}/big")["Parameter"]["Value"] == "x" * 8192
    response = ssm.put_parameter(
        Name=f"{base}/smart", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering"
    )
    assert response["Tier"] == "Advanced"
    with pytest.raises(ClientError):
        ssm.put_parameter(Name=f"{base}/big", Value="x", Tier="Standard", Overwrite=True)


def test_type_allowed_pattern_and_data_type(ssm, base):
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(Name=f"{base}/untyped", Value="v")
    assert "A parameter type is required" in str(info.value)
    with pytest.raises(ssm.exceptions.ParameterPatternMismatchException):
        ssm.put_parameter(Name=f"{base}/p", Value="abc", Type="String", AllowedPattern=r"^\d+$")
    ssm.put_parameter(Name=f"{base}/p", Value="123", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ssm.exceptions.ParameterPatternMismatchException):
        ssm.put_parameter(Name=f"{base}/p", Value="abc", Overwrite=True)  # pattern kept
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(Name=f"{base}/dt", Value="v", Type="String", DataType="TEXT")
    assert "not supported" in str(info.value)
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(
            Name=f"{base}/tags",
            Value="v",
            Type="String",
            Overwrite=True,
            Tags=[{"Key": "a", "Value": "b"}],
        )
    assert "tags and overwrite can't be used together" in str(info.value)


def test_unknown_operation(ssm):
    with pytest.raises(ClientError) as info:
        ssm.list_documents()
    assert "does not implement ListDocuments" in str(info.value)


# -- durability and encryption at rest -----------------------------------------------


def _state_bytes(state_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file())


def test_acknowledged_puts_survive_kill_9_and_nothing_secret_is_in_clear(tmp_path):
    server = start_server(TEMPLATE, tmp_path / "state")
    ssm = ssm_client(server)
    secret_value = f"plaintext-{uuid.uuid4().hex}"
    ssm.put_parameter(Name="/durable/plain", Value="kept", Type="String")
    ssm.put_parameter(Name="/durable/secure", Value=secret_value, Type="SecureString")
    ssm.put_parameter(Name="/durable/secure", Value=secret_value + "-v2", Overwrite=True)
    server.stop(signal.SIGKILL)  # no clean shutdown: WAL not checkpointed

    state = _state_bytes(tmp_path / "state")
    assert secret_value.encode() not in state
    assert b"kept" in state  # a String is stored as it is: the scan does see values

    restarted = start_server(TEMPLATE, tmp_path / "state", port=server.port)
    try:
        ssm = ssm_client(restarted)
        assert ssm.get_parameter(Name="/durable/plain")["Parameter"]["Value"] == "kept"
        secure = ssm.get_parameter(Name="/durable/secure", WithDecryption=True)["Parameter"]
        assert (secure["Value"], secure["Version"]) == (secret_value + "-v2", 2)
        # the template's parameters were not bumped by the restart
        assert ssm.get_parameter(Name="/serverlite/test/config")["Parameter"]["Version"] == 1
    finally:
        restarted.stop()
    assert secret_value.encode() not in _state_bytes(tmp_path / "state")
    key = tmp_path / "state" / "kms-local.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32


def test_a_changed_template_updates_its_parameter(tmp_path):
    template = tmp_path / "template.yaml"

    def write(value: str) -> None:
        template.write_text(
            "Resources:\n"
            "  Config:\n"
            "    Type: AWS::SSM::Parameter\n"
            "    Properties:\n"
            "      Name: /changing/config\n"
            "      Type: String\n"
            f"      Value: {value}\n"
        )

    write("first")
    server = start_server(template, tmp_path / "state")
    ssm_client(server).put_parameter(Name="/changing/other", Value="x", Type="String")
    server.stop()
    server = start_server(template, tmp_path / "state")
    assert ssm_client(server).get_parameter(Name="/changing/config")["Parameter"]["Version"] == 1
    server.stop()
    write("second")
    server = start_server(template, tmp_path / "state")
    try:
        parameter = ssm_client(server).get_parameter(Name="/changing/config")["Parameter"]
        assert (parameter["Value"], parameter["Version"]) == ("second", 2)
    finally:
        server.stop()


def test_a_malformed_raw_request_gets_an_aws_shaped_error(server):
    request = urllib.request.Request(
        server.url,
        data=json.dumps({"Name": "/raw", "Value": "v", "Type": "String", "Tags": "oops"}).encode(),
        headers={
            "X-Amz-Target": "AmazonSSM.PutParameter",
            "Authorization": sigv4("ssm"),
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert (
        json.loads(info.value.read())["__type"] == "com.amazon.coral.service#SerializationException"
    )  # as AWS sends it
    with pytest.raises(ssm_client(server).exceptions.ParameterNotFound):
        ssm_client(server).get_parameter(Name="/raw")  # nothing changed


def test_local_key_binds_each_value_to_its_record(tmp_path):
    key = LocalKey.in_state_dir(tmp_path)
    blob = key.encrypt(b"value", "ssm:/a:1")
    assert key.decrypt(blob, "ssm:/a:1") == b"value"
    assert key.encrypt(b"value", "ssm:/a:1") != blob  # a fresh nonce each time
    with pytest.raises(DecryptionError):
        key.decrypt(blob, "ssm:/b:1")  # copied onto another record
    with pytest.raises(DecryptionError):
        LocalKey(tmp_path / "other.key").decrypt(blob, "ssm:/a:1")  # another key
    assert LocalKey.in_state_dir(tmp_path).decrypt(blob, "ssm:/a:1") == b"value"  # reloaded
    assert key.fingerprint(b"x") == LocalKey.in_state_dir(tmp_path).fingerprint(b"x")
    assert key.fingerprint(b"x") != LocalKey(tmp_path / "other.key").fingerprint(b"x")
