"""Secrets Manager on `serverlite up`, driven by boto3's real secretsmanager client."""

from __future__ import annotations

import base64
import datetime
import json
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import FIXTURES, Server, aws_client, lambda_client, start_server

pytestmark = pytest.mark.integration

TEMPLATE = FIXTURES / "params_secrets" / "template.yaml"
ARN = re.compile(r"arn:aws:secretsmanager:us-east-1:123456789012:secret:(.+)-[A-Za-z0-9]{6}")
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def sm_client(server: Server):  # type: ignore[no-untyped-def]
    return aws_client(server, "secretsmanager")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(TEMPLATE, tmp_path_factory.mktemp("secrets") / "state")
    yield running
    running.stop()


@pytest.fixture
def sm(server):  # type: ignore[no-untyped-def]
    return sm_client(server)


@pytest.fixture
def name() -> str:
    return f"test/{uuid.uuid4().hex[:10]}"


def error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


# -- the template -------------------------------------------------------------------


def test_template_secrets_exist(sm):
    db = sm.get_secret_value(SecretId="serverlite/test/db")
    document = json.loads(db["SecretString"])
    assert document["username"] == "admin"
    assert len(document["password"]) == 24
    assert not set(document["password"]) & set('"@/\\')
    assert ARN.fullmatch(db["ARN"]).group(1) == "serverlite/test/db"
    assert sm.describe_secret(SecretId=db["ARN"])["Description"] == (
        "Generated database credentials"
    )
    api_key = sm.get_secret_value(SecretId="ApiKey")  # no Name: what !Ref's ARN names
    assert api_key["SecretString"] == "template-api-key-0123456789"


def test_a_function_reads_a_parameter_and_a_secret_through_boto3(server, sm):
    response = lambda_client(server).invoke(
        FunctionName="Reader",
        Payload=json.dumps({"expected_api_key": "template-api-key-0123456789"}),
    )
    assert "FunctionError" not in response, response["Payload"].read()
    result = json.loads(response["Payload"].read())
    assert result["parameter"] == "hello from the template"
    assert result["paths"] == ["/serverlite/test/config", "/serverlite/test/hosts"]
    assert result["db_username"] == "admin"
    assert result["db_password_length"] == 24
    assert result["api_key_matches"] is True
    # !Ref of the secret is the ARN the secret really has
    assert result["db_secret_env"] == result["db_secret_id_env"] == result["db_arn"]
    assert result["config_value_env"] == result["parameter"]
    assert result["db_arn"] == sm.describe_secret(SecretId="serverlite/test/db")["ARN"]


# -- create and read ----------------------------------------------------------------


def test_create_and_get_by_name_arn_and_partial_arn(sm, name):
    created = sm.create_secret(Name=name, SecretString="s3cret", Description="first")
    assert ARN.fullmatch(created["ARN"]).group(1) == name
    assert created["Name"] == name
    for secret_id in (name, created["ARN"], created["ARN"][:-7]):
        value = sm.get_secret_value(SecretId=secret_id)
        assert value["SecretString"] == "s3cret"
        assert value["VersionId"] == created["VersionId"]
        assert value["VersionStages"] == ["AWSCURRENT"]
        assert isinstance(value["CreatedDate"], datetime.datetime)


def test_create_is_idempotent_for_a_retried_token(sm, name):
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"]
    assert again["VersionId"] == token
    with pytest.raises(sm.exceptions.ResourceExistsException) as info:
        sm.create_secret(Name=name, SecretString="other", ClientRequestToken=token)
    assert error(info) == (
        "ResourceExistsException",
        f"The operation failed because the secret {name} already exists.",
    )
    with pytest.raises(sm.exceptions.ResourceExistsException):
        sm.create_secret(Name=name, SecretString="v")


def test_binary_secret(sm, name):
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01binary\xff")
    value = sm.get_secret_value(SecretId=name)
    assert value["SecretBinary"] == b"\x00\x01binary\xff"
    assert "SecretString" not in value
    with pytest.raises(sm.exceptions.InvalidParameterException):
        sm.create_secret(Name=f"{name}-both", SecretString="a", SecretBinary=b"b")


def test_a_secret_without_a_value(sm, name):
    created = sm.create_secret(Name=name)
    assert "VersionId" not in created
    with pytest.raises(sm.exceptions.ResourceNotFoundException) as info:
        sm.get_secret_value(SecretId=name)
    assert "staging label: AWSCURRENT" in error(info)[1]
    sm.put_secret_value(SecretId=name, SecretString="now")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "now"


def test_not_found_and_bad_names(sm):
    with pytest.raises(sm.exceptions.ResourceNotFoundException) as info:
        sm.get_secret_value(SecretId="no/such/secret")
    assert error(info) == ("ResourceNotFoundException", NOT_FOUND)
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId="arn:aws:secretsmanager:us-east-1:123456789012:secret:x-abcdef")
    with pytest.raises(sm.exceptions.InvalidParameterException) as info:
        sm.create_secret(Name="has space", SecretString="v")
    assert error(info)[1].startswith("Invalid name.")


# -- versions -----------------------------------------------------------------------


def test_put_secret_value_moves_stages(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    put = sm.put_secret_value(SecretId=name, SecretString="two")
    v2 = put["VersionId"]
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (previous["SecretString"], previous["VersionId"]) == ("one", v1)
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["VersionStages"] == ["AWSPREVIOUS"]
    v3 = sm.put_secret_value(SecretId=name, SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v3: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}

    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"] for v in listed} == {v2, v3}
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in everything} == {v1, v2, v3}
    assert next(v for v in everything if v["VersionId"] == v1).get("VersionStages") is None

    pending = sm.put_secret_value(SecretId=name, SecretString="four", VersionStages=["AWSPENDING"])
    assert pending["VersionStages"] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "three"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == "four"

    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId=name, VersionId=str(uuid.uuid4()))
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")


def test_put_secret_value_token_idempotency(sm, name):
    sm.create_secret(Name=name, SecretString="one")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert again["VersionId"] == first["VersionId"] == token
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 2
    with pytest.raises(sm.exceptions.ResourceExistsException) as info:
        sm.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    assert "can't modify an existing version" in error(info)[1]
    with pytest.raises(sm.exceptions.InvalidRequestException):
        sm.put_secret_value(SecretId=name)


def test_update_secret(sm, name):
    sm.create_secret(Name=name, SecretString="one", Description="old")
    updated = sm.update_secret(SecretId=name, Description="new")
    assert "VersionId" not in updated
    assert sm.describe_secret(SecretId=name)["Description"] == "new"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "one"
    updated = sm.update_secret(SecretId=name, SecretString="two", KmsKeyId="alias/mine")
    assert sm.get_secret_value(SecretId=name)["VersionId"] == updated["VersionId"]
    described = sm.describe_secret(SecretId=name)
    assert described["KmsKeyId"] == "alias/mine"
    assert described["LastChangedDate"] >= described["CreatedDate"]


# -- deletion -----------------------------------------------------------------------


def test_delete_with_recovery_window_and_restore(sm, name):
    created = sm.create_secret(Name=name, SecretString="v")
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    now = datetime.datetime.now(datetime.UTC)
    assert deleted["DeletionDate"] - now > datetime.timedelta(days=6, hours=23)
    with pytest.raises(sm.exceptions.InvalidRequestException) as info:
        sm.get_secret_value(SecretId=name)
    assert error(info) == ("InvalidRequestException", MARKED)
    with pytest.raises(sm.exceptions.InvalidRequestException):
        sm.put_secret_value(SecretId=name, SecretString="w")
    with pytest.raises(sm.exceptions.InvalidRequestException):
        sm.create_secret(Name=name, SecretString="again")
    with pytest.raises(sm.exceptions.InvalidRequestException):
        sm.delete_secret(SecretId=name)
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    assert name not in _listed(sm)
    assert name in _listed(sm, IncludePlannedDeletion=True)

    restored = sm.restore_secret(SecretId=created["ARN"])
    assert restored["Name"] == name
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)


def test_default_window_and_force_delete(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    deleted = sm.delete_secret(SecretId=name)
    now = datetime.datetime.now(datetime.UTC)
    assert deleted["DeletionDate"] - now > datetime.timedelta(days=29, hours=23)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)  # even when scheduled
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId=name)
    sm.create_secret(Name=name, SecretString="reborn")  # the name is free again
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "reborn"


@pytest.mark.parametrize(
    "arguments",
    [
        {"RecoveryWindowInDays": 6},
        {"RecoveryWindowInDays": 31},
        {"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True},
    ],
)
def test_bad_delete_arguments(sm, name, arguments):
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(sm.exceptions.InvalidParameterException):
        sm.delete_secret(SecretId=name, **arguments)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"  # nothing changed


# -- listing ------------------------------------------------------------------------


def _listed(sm, **arguments) -> list[str]:  # type: ignore[no-untyped-def]
    paginator = sm.get_paginator("list_secrets")
    return [s["Name"] for page in paginator.paginate(**arguments) for s in page["SecretList"]]


def test_list_secrets_pages_and_filters(sm):
    prefix = f"list/{uuid.uuid4().hex[:8]}"
    for i in range(5):
        sm.create_secret(
            Name=f"{prefix}/{i}", SecretString="v", Tags=[{"Key": "i", "Value": str(i)}]
        )
    filters = [{"Key": "name", "Values": [prefix]}]
    pages = list(
        sm.get_paginator("list_secrets").paginate(Filters=filters, PaginationConfig={"PageSize": 2})
    )
    assert [len(p["SecretList"]) for p in pages] == [2, 2, 1]
    names = [s["Name"] for p in pages for s in p["SecretList"]]
    assert names == [f"{prefix}/{i}" for i in range(5)]
    entry = pages[0]["SecretList"][0]
    assert entry["Tags"] == [{"Key": "i", "Value": "0"}]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert _listed(sm, Filters=[*filters, {"Key": "tag-value", "Values": ["3"]}]) == [f"{prefix}/3"]
    assert _listed(sm, Filters=filters, SortOrder="desc")[0] == f"{prefix}/4"


def test_get_random_password(sm):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    password = sm.get_random_password(
        PasswordLength=50, ExcludePunctuation=True, ExcludeCharacters="abcdef"
    )["RandomPassword"]
    assert len(password) == 50
    assert password.isalnum()
    assert not set(password) & set("abcdef")
    with pytest.raises(sm.exceptions.InvalidParameterException):
        sm.get_random_password(
            ExcludeLowercase=True,
            ExcludeUppercase=True,
            ExcludeNumbers=True,
            ExcludePunctuation=True,
        )


def test_last_accessed_date_is_a_day(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)
    sm.get_secret_value(SecretId=name)
    accessed = sm.describe_secret(SecretId=name)["LastAccessedDate"].astimezone(datetime.UTC)
    assert (accessed.hour, accessed.minute, accessed.second) == (0, 0, 0)
    assert accessed.date() == datetime.datetime.now(datetime.UTC).date()


# -- durability and encryption at rest -----------------------------------------------


def _state_bytes(state_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file())


def test_acknowledged_writes_survive_kill_9_and_nothing_secret_is_in_clear(tmp_path):
    server = start_server(TEMPLATE, tmp_path / "state")
    sm = sm_client(server)
    first = f"first-{uuid.uuid4().hex}"
    second = f"second-{uuid.uuid4().hex}"
    binary = uuid.uuid4().bytes * 2
    generated = sm.get_secret_value(SecretId="serverlite/test/db")
    sm.create_secret(Name="durable", SecretString=first)
    put = sm.put_secret_value(SecretId="durable", SecretString=second)
    sm.create_secret(Name="durable-binary", SecretBinary=binary)
    server.stop(signal.SIGKILL)

    state = _state_bytes(tmp_path / "state")
    password = json.loads(generated["SecretString"])["password"].encode()
    for plaintext in (first.encode(), second.encode(), binary, password):
        assert plaintext not in state
        assert base64.b64encode(plaintext) not in state
    assert b"template-api-key-0123456789" not in state
    assert b"durable" in state  # names are stored as they are: the scan does see them

    restarted = start_server(TEMPLATE, tmp_path / "state", port=server.port)
    try:
        sm = sm_client(restarted)
        current = sm.get_secret_value(SecretId="durable")
        assert (current["SecretString"], current["VersionId"]) == (second, put["VersionId"])
        previous = sm.get_secret_value(SecretId="durable", VersionStage="AWSPREVIOUS")
        assert previous["SecretString"] == first
        assert sm.get_secret_value(SecretId="durable-binary")["SecretBinary"] == binary
        # the generated template secret kept its value and its ARN across the restart
        again = sm.get_secret_value(SecretId="serverlite/test/db")
        assert again["SecretString"] == generated["SecretString"]
        assert (again["ARN"], again["VersionId"]) == (generated["ARN"], generated["VersionId"])
    finally:
        restarted.stop()
    assert first.encode() not in _state_bytes(tmp_path / "state")


def test_a_changed_template_updates_its_secret(tmp_path):
    template = tmp_path / "template.yaml"

    def write(value: str, description: str) -> None:
        template.write_text(
            "Resources:\n"
            "  Token:\n"
            "    Type: AWS::SecretsManager::Secret\n"
            "    Properties:\n"
            "      Name: changing/token\n"
            f"      Description: {description}\n"
            f"      SecretString: {value}\n"
            "  Generated:\n"
            "    Type: AWS::SecretsManager::Secret\n"
            "    Properties:\n"
            "      GenerateSecretString:\n"
            "        PasswordLength: 16\n"
        )

    write("first", "one")
    server = start_server(template, tmp_path / "state")
    sm = sm_client(server)
    generated = sm.get_secret_value(SecretId="Generated")["SecretString"]
    assert len(generated) == 16
    sm.put_secret_value(SecretId="Generated", SecretString="set-through-the-api")
    server.stop()

    write("first", "two")  # only the description changes: no new version
    server = start_server(template, tmp_path / "state")
    sm = sm_client(server)
    assert sm.describe_secret(SecretId="changing/token")["Description"] == "two"
    assert len(sm.list_secret_version_ids(SecretId="changing/token")["Versions"]) == 1
    # an unchanged declaration leaves a value put through the API alone
    assert sm.get_secret_value(SecretId="Generated")["SecretString"] == "set-through-the-api"
    server.stop()

    write("second", "two")
    server = start_server(template, tmp_path / "state")
    try:
        sm = sm_client(server)
        assert sm.get_secret_value(SecretId="changing/token")["SecretString"] == "second"
        previous = sm.get_secret_value(SecretId="changing/token", VersionStage="AWSPREVIOUS")
        assert previous["SecretString"] == "first"
    finally:
        server.stop()
