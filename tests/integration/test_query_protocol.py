"""The query protocol seam, driven by boto3's own SNS and SQS (query) serializers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serverlite.aws.backend import AwsError, Operation, Operations, QueryService
from serverlite.aws.dispatch.query import dispatch
from tests.integration.conftest import serve_in_thread

pytestmark = pytest.mark.integration
SEEN: list[tuple[str, dict[str, Any]]] = []


async def sns_handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    SEEN.append((operation, params))
    if operation == "Publish":
        if params.get("TopicArn", "").endswith(":missing"):
            raise AwsError("NotFound", "Topic does not exist", 404)
        return {"MessageId": "m-1", "SequenceNumber": "7"}
    if operation == "ListTopics":
        return {
            "Topics": [
                {"TopicArn": "arn:aws:sns:us-east-1:123456789012:a"},
                {"TopicArn": "arn:aws:sns:us-east-1:123456789012:b"},
            ],
            "NextToken": "n",
        }
    if operation == "GetTopicAttributes":
        return {"Attributes": {"DisplayName": "Demo", "Policy": "{}"}}
    return {}


def _operation(name: str) -> Operation:
    return lambda _context, params: sns_handler(name, params)


TABLE = {
    name: _operation(name)
    for name in ("Publish", "PublishBatch", "ListTopics", "GetTopicAttributes")
}
SERVICES = {
    "sns": QueryService(
        "sns", Operations("SNS", None, TABLE), "http://sns.amazonaws.com/doc/2010-03-31/"
    )
}


async def root(request: Request) -> Response:
    return await dispatch(request, SERVICES)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(Starlette(routes=[Route("/", root, methods=["POST"])])) as served:
        yield served


def sns(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "sns",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )


def test_structured_params_reach_the_handler(url):
    SEEN.clear()
    response = sns(url).publish(
        TopicArn="arn:aws:sns:us-east-1:123456789012:t",
        Message="hi",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "n": {"DataType": "Number", "StringValue": "3"},
        },
    )
    assert response["MessageId"] == "m-1"
    assert response["SequenceNumber"] == "7"
    operation, params = SEEN[-1]
    assert operation == "Publish"
    assert params == {
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
        "Message": "hi",
        "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "red"},
            "n": {"DataType": "Number", "StringValue": "3"},
        },
    }


def test_lists_and_maps_come_back_as_botocore_parses_them(url):
    client = sns(url)
    topics = client.list_topics()
    assert [t["TopicArn"] for t in topics["Topics"]] == [
        "arn:aws:sns:us-east-1:123456789012:a",
        "arn:aws:sns:us-east-1:123456789012:b",
    ]
    assert topics["NextToken"] == "n"
    assert client.get_topic_attributes(TopicArn="arn:x")["Attributes"] == {
        "DisplayName": "Demo",
        "Policy": "{}",
    }


def test_errors_are_xml_error_responses(url):
    with pytest.raises(ClientError) as info:
        sns(url).publish(TopicArn="arn:aws:sns:us-east-1:123456789012:missing", Message="x")
    assert info.value.response["Error"]["Code"] == "NotFound"
    assert info.value.response["Error"]["Message"] == "Topic does not exist"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_params(url):
    SEEN.clear()
    sns(url).publish_batch(
        TopicArn="arn:t",
        PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}],
    )
    operation, params = SEEN[-1]
    assert operation == "PublishBatch"
    assert params["PublishBatchRequestEntries"] == [
        {"Id": "1", "Message": "a"},
        {"Id": "2", "Message": "b"},
    ]
