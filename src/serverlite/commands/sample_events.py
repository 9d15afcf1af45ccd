"""``serverlite generate-event SERVICE EVENT``: sample events, as ``sam local
generate-event`` prints them, built in AWS's shapes (the samples in AWS's docs and
Powertools' test events) with fresh ids and times.

Each generator takes the options it names (``--bucket``, ``--key``, ``--body``, ...,
the ones sam has) and returns the event as a dict.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Option:
    name: str  # the --option, without dashes
    default: str
    help: str


@dataclass(frozen=True)
class Sample:
    build: Callable[[dict[str, str]], dict[str, Any]]
    options: tuple[Option, ...]
    help: str


def _iso(moment: float, millis: bool = True) -> str:
    stamp = datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)
    if millis:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _s3(name: str, o: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    body = o.get("body", "")
    stored: dict[str, Any] = {"key": quote_plus(o["key"], safe="/")}  # S3 URL-encodes keys
    if name == "ObjectCreated:Put":
        stored["size"] = len(body.encode())
        stored["eTag"] = hashlib.md5(body.encode()).hexdigest()
    stored["sequencer"] = f"{int(now * 1e6):X}"
    detail = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": o["region"],
        "eventTime": _iso(now),
        "eventName": name,
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": base64.b64encode(uuid.uuid4().bytes * 2).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "testConfigRule",
            "bucket": {
                "name": o["bucket"],
                "ownerIdentity": {"principalId": "EXAMPLE"},
                "arn": f"arn:{o['partition']}:s3:::{o['bucket']}",
            },
            "object": stored,
        },
    }
    return {"Records": [detail]}


def _dynamodb_update(o: dict[str, str]) -> dict[str, Any]:
    region, now = o["region"], float(int(time.time()))
    arn = (
        f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/ExampleTableWithStream/stream/{_iso(now)[:-1]}"
    )

    def record(name: str, seq: int, new: str | None, old: str | None) -> dict[str, Any]:
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": now,
            "Keys": {"Id": {"N": "101"}},
            "SequenceNumber": str(10**20 + seq),
            "SizeBytes": 26 + (len(old) if old else 0),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if new is not None:
            change["NewImage"] = {"Message": {"S": new}, "Id": {"N": "101"}}
        if old is not None:
            change["OldImage"] = {"Message": {"S": old}, "Id": {"N": "101"}}
        return {
            "eventID": uuid.uuid4().hex,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": change,
            "eventSourceARN": arn,
        }

    return {
        "Records": [
            record("INSERT", 1, "New item!", None),
            record("MODIFY", 2, "This item has changed", "New item!"),
            record("REMOVE", 3, None, "This item has changed"),
        ]
    }


def _kinesis(o: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    base = int(o["sequence"])
    records = []
    for i, text in enumerate(o["data"].split("|")):
        sequence = str(base + i)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": o["partition"],
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(text.encode()).decode(),
                    "approximateArrivalTimestamp": round(now, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000006:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
                "awsRegion": o["region"],
                "eventSourceARN": f"arn:aws:kinesis:{o['region']}:{ACCOUNT}:stream/{o['stream']}",
            }
        )
    return {"Records": records}


def _sqs(o: dict[str, str]) -> dict[str, Any]:
    now = int(time.time() * 1000)
    body = o["body"]
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(uuid.uuid4().bytes * 3).decode(),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(now),
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": str(now + 2),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{o['region']}:{ACCOUNT}:{o['queue-name']}",
                "awsRegion": o["region"],
            }
        ]
    }


def _sns(o: dict[str, str]) -> dict[str, Any]:
    region = o["region"]
    topic = o["topic"]
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": _iso(time.time()),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": o["message"],
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": topic,
                    "Subject": o["subject"],
                },
            }
        ]
    }


def _api_v1(o: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    headers = {"Accept": "*/*", "Host": "localhost:3000", "User-Agent": "curl/8.0"}
    return {
        "body": o["body"],
        "resource": o["resource"],
        "path": o["path"],
        "httpMethod": o["method"],
        "isBase64Encoded": False,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": {
            "accountId": ACCOUNT,
            "resourceId": "123456",
            "stage": o["stage"],
            "requestId": str(uuid.uuid4()),
            "requestTime": datetime.datetime.fromtimestamp(now, tz=datetime.UTC).strftime(
                "%d/%b/%Y:%H:%M:%S +0000"
            ),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
            "path": f"/{o['stage']}{o['path']}",
            "resourcePath": o["resource"],
            "httpMethod": o["method"],
            "apiId": "1234567890",
            "protocol": "HTTP/1.1",
        },
    }


def _api_v2(o: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": o["path"],
        "rawQueryString": "",
        "headers": {"accept": "*/*", "host": "localhost:3000", "user-agent": "curl/8.0"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "api-id",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": o["method"],
                "path": o["path"],
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": datetime.datetime.fromtimestamp(now, tz=datetime.UTC).strftime(
                "%d/%b/%Y:%H:%M:%S +0000"
            ),
            "timeEpoch": int(now * 1000),
        },
        "body": o["body"],
        "isBase64Encoded": False,
    }


def _scheduled(o: dict[str, str]) -> dict[str, Any]:
    region = o["region"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": _iso(time.time(), millis=False),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{o['rule']}"],
        "detail": {},
    }


def _eventbridge(o: dict[str, str]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": o["detail-type"],
        "source": o["source"],
        "account": ACCOUNT,
        "time": _iso(time.time(), millis=False),
        "region": o["region"],
        "resources": [],
        "detail": json.loads(o["detail"]),
    }


REGION = Option("region", "us-east-1", "the region in the event")
SAMPLES: dict[str, dict[str, Sample]] = {
    "s3": {
        "put": Sample(
            lambda o: _s3("ObjectCreated:Put", o),
            (
                REGION,
                Option("partition", "aws", "the ARN partition"),
                Option("bucket", "example-bucket", "the bucket"),
                Option("key", "test/key", "the object key"),
                Option("body", "", "the object's content (its size and ETag)"),
            ),
            "an S3 ObjectCreated:Put notification",
        ),
        "delete": Sample(
            lambda o: _s3("ObjectRemoved:Delete", o),
            (
                REGION,
                Option("partition", "aws", "the ARN partition"),
                Option("bucket", "example-bucket", "the bucket"),
                Option("key", "test/key", "the object key"),
            ),
            "an S3 ObjectRemoved:Delete notification",
        ),
    },
    "dynamodb": {
        "update": Sample(
            _dynamodb_update, (REGION,), "a DynamoDB stream batch: INSERT, MODIFY, REMOVE"
        ),
    },
    "kinesis": {
        "get-records": Sample(
            _kinesis,
            (
                REGION,
                Option("partition", "partitionKey-03", "the partition key"),
                Option(
                    "sequence",
                    "49545115243490985018280067714973144582180062593244200961",
                    "the first sequence number",
                ),
                Option("data", "Hello, this is a test 123.", "the records' data, |-separated"),
                Option("stream", "example-stream", "the stream's name"),
            ),
            "a Kinesis Data Streams batch",
        ),
    },
    "sqs": {
        "receive-message": Sample(
            _sqs,
            (
                REGION,
                Option("queue-name", "MyQueue", "the queue's name"),
                Option("body", "Hello from SQS!", "the message body"),
            ),
            "an SQS batch of one message",
        ),
    },
    "sns": {
        "notification": Sample(
            _sns,
            (
                REGION,
                Option("message", "Hello from SNS!", "the message"),
                Option("subject", "TestInvoke", "the subject"),
                Option("topic", f"arn:aws:sns:us-east-1:{ACCOUNT}:ExampleTopic", "the topic's ARN"),
            ),
            "an SNS notification",
        ),
    },
    "apigateway": {
        "aws-proxy": Sample(
            _api_v1,
            (
                Option("body", '{"message": "hello world"}', "the request body"),
                Option("method", "POST", "the HTTP method"),
                Option("path", "/examplepath", "the request path"),
                Option("resource", "/{proxy+}", "the API resource"),
                Option("stage", "prod", "the stage"),
            ),
            "a REST API (payload 1.0) proxy request",
        ),
        "http-api-proxy": Sample(
            _api_v2,
            (
                Option("body", '{"message": "hello world"}', "the request body"),
                Option("method", "POST", "the HTTP method"),
                Option("path", "/my/path", "the request path"),
            ),
            "an HTTP API (payload 2.0) request",
        ),
    },
    "cloudwatch": {
        "scheduled-event": Sample(
            _scheduled,
            (REGION, Option("rule", "ExampleRule", "the rule's name")),
            "an EventBridge (CloudWatch Events) scheduled event",
        ),
    },
    "eventbridge": {
        "event": Sample(
            _eventbridge,
            (
                REGION,
                Option("source", "com.example.orders", "the event's source"),
                Option("detail-type", "OrderPlaced", "the event's detail-type"),
                Option("detail", '{"orderId": "1"}', "the detail, a JSON object"),
            ),
            "an EventBridge event as a rule's target receives it",
        ),
    },
}


def generate(service: str, event: str, given: dict[str, str]) -> dict[str, Any]:
    """The sample event; KeyError for a service or event there is none of."""
    sample = SAMPLES[service][event]
    options = {o.name: given.get(o.name, o.default) for o in sample.options}
    return sample.build(options)
