"""Step Functions reading from and writing to the local S3 in-process: a distributed Map's
``ItemReader`` (JSON, CSV, a listing) and the ``s3:getObject`` / ``s3:putObject`` tasks,
with S3's errors named as Step Functions names them, over the wire."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client
from tests.integration.stepfunctions.conftest import run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bucket(server: Server) -> str:
    s3 = aws_client(server, "s3")
    name = f"sfn-items-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="items.json", Body=json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]))
    s3.put_object(Bucket=name, Key="rows.csv", Body="name,size\nalpha,1\nbeta,22\n")
    s3.put_object(Bucket=name, Key="logs/a.txt", Body=b"aa")
    s3.put_object(Bucket=name, Key="logs/b.txt", Body=b"bbb")
    return name


def _distributed(reader: dict[str, Any], processor: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": reader,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", **processor, "End": True}},
                },
                "End": True,
            }
        },
    }


def test_item_reader_reads_a_json_array_from_s3(sfn: Any, bucket: str) -> None:
    definition = _distributed(
        {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.bucket", "Key": "items.json"},
        },
        {"Parameters": {"double.$": "States.MathAdd($.n, $.n)"}},
    )
    described = run(sfn, definition, {"bucket": bucket})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == [{"double": 2}, {"double": 4}, {"double": 6}]


def test_item_reader_reads_csv_rows_with_their_header(sfn: Any, bucket: str) -> None:
    definition = _distributed(
        {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": bucket, "Key": "rows.csv"},
        },
        {},
    )
    described = run(sfn, definition)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == [
        {"name": "alpha", "size": "1"},
        {"name": "beta", "size": "22"},
    ]


def test_item_reader_lists_objects_under_a_prefix(sfn: Any, bucket: str) -> None:
    definition = _distributed(
        {
            "Resource": "arn:aws:states:::s3:listObjectsV2",
            "Parameters": {"Bucket": bucket, "Prefix": "logs/"},
        },
        {},
    )
    described = run(sfn, definition)
    assert described["status"] == "SUCCEEDED", described
    items = json.loads(described["output"])
    assert [(i["Key"], i["Size"], i["StorageClass"]) for i in items] == [
        ("logs/a.txt", 2, "STANDARD"),
        ("logs/b.txt", 3, "STANDARD"),
    ]
    assert all(isinstance(i["LastModified"], int) and i["Etag"].startswith('"') for i in items)


def test_a_missing_object_fails_the_reader_naming_s3s_error(sfn: Any, bucket: str) -> None:
    definition = _distributed(
        {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": bucket, "Key": "absent.json"},
        },
        {},
    )
    described = run(sfn, definition)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.ItemReaderFailed"
    assert "NoSuchKey" in described["cause"]


def test_put_then_get_object_tasks_and_no_such_key_is_caught(
    sfn: Any, server: Server, bucket: str
) -> None:
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": bucket, "Key": "out/doc.json", "Body.$": "$.doc"},
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": bucket, "Key": "out/doc.json"},
                "ResultSelector": {"body.$": "States.StringToJson($.Body)"},
                "ResultPath": "$.read",
                "Next": "Missing",
            },
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": bucket, "Key": "out/nothing"},
                "Catch": [
                    {"ErrorEquals": ["S3.NoSuchKey"], "ResultPath": "$.caught", "Next": "Done"}
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    described = run(sfn, definition, {"doc": {"hello": "world"}})
    assert described["status"] == "SUCCEEDED", described
    result = json.loads(described["output"])
    assert result["read"] == {"body": {"hello": "world"}}
    assert result["caught"]["Error"] == "S3.NoSuchKey"
    body = aws_client(server, "s3").get_object(Bucket=bucket, Key="out/doc.json")["Body"].read()
    assert json.loads(body) == {"hello": "world"}
