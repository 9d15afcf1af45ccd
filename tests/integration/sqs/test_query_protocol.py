"""SQS over the query protocol, as older SDKs and the v1 CLI speak it: botocore itself,
given SQS's model in its query form (form-encoded requests, XML answers)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import botocore.session
import pytest
from botocore.config import Config

from serverlite.aws.sqs.query_protocol import XML_NAMESPACE, query_model_dict

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def query_sqs(server, tmp_path_factory):  # type: ignore[no-untyped-def]
    raw = query_model_dict()
    raw["metadata"].update(protocol="query", protocols=["query"], xmlNamespace=XML_NAMESPACE)
    raw["metadata"].pop("awsQueryCompatible", None)
    for name, operation in raw["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    data = Path(tmp_path_factory.mktemp("models"))
    target = data / "sqs" / raw["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(raw))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    client = session.create_client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )
    assert client.meta.service_model.protocol == "query"
    return client


def test_round_trip_over_the_query_protocol(query_sqs, sqs):
    name = f"query-{uuid.uuid4().hex[:8]}"
    url = query_sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "7"}, tags={"k": "v"}
    )["QueueUrl"]
    assert url.endswith(f"/123456789012/{name}")
    assert url in query_sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    attributes = query_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "7"
    assert query_sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
    sent = query_sqs.send_message(
        QueueUrl=url,
        MessageBody="over query",
        MessageAttributes={
            "s": {"DataType": "String", "StringValue": "x"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    batch = query_sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "two"}, {"Id": "b", "MessageBody": ""}]
    )
    assert [e["Id"] for e in batch["Successful"]] == ["a"]
    assert batch["Failed"][0]["Code"] == "MissingParameter"
    messages = query_sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    first = next(m for m in messages if m["MessageId"] == sent["MessageId"])
    assert first["Body"] == "over query"
    assert first["MessageAttributes"]["b"]["BinaryValue"] == b"\x01\x02"
    assert first["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    deleted = query_sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ],
    )
    assert len(deleted["Successful"]) == 2
    # The JSON protocol sees the same queue.
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_errors_carry_the_query_codes(query_sqs):
    with pytest.raises(query_sqs.exceptions.ClientError) as caught:
        query_sqs.get_queue_url(QueueName="no-such-queue-here")
    error = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Message"] == "The specified queue does not exist."
    assert error["Type"] == "Sender"
