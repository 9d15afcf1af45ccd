"""Injected service faults (``harness.faults.service``) over the wire: boto3 sees each
service's own error shape and its retry logic does what it would do on AWS."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from serverlite.errors import ConfigError
from serverlite.harness import AppHarness

# The pytest plugin's serverlite fixture: the app reset, its faults cleared after.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.serverlite("../fixtures/plugin_app/template.yaml"),
]
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def fresh(serverlite: AppHarness) -> AppHarness:
    return serverlite


def _table(app: AppHarness) -> str:
    name: str = app.aws("dynamodb").list_tables()["TableNames"][0]
    return name


def test_dynamodb_throughput_errors_are_retried_by_boto3(fresh: AppHarness) -> None:
    fault = fresh.faults.service(
        "dynamodb", "PutItem", error="ProvisionedThroughputExceededException", times=3
    )
    dynamodb = fresh.aws("dynamodb")
    put = dynamodb.put_item(TableName=_table(fresh), Item={"id": {"S": "a"}})
    assert put["ResponseMetadata"]["RetryAttempts"] == 3  # DynamoDB's retry policy
    assert fault.hits == 3
    assert "Item" in dynamodb.get_item(TableName=_table(fresh), Key={"id": {"S": "a"}})


def test_when_retries_run_out_the_error_is_the_services(fresh: AppHarness) -> None:
    fresh.faults.service(
        "dynamodb", "GetItem", error="ProvisionedThroughputExceededException", times=None
    )
    dynamodb = fresh.aws("dynamodb", config=Config(retries={"total_max_attempts": 2}))
    with pytest.raises(dynamodb.exceptions.ProvisionedThroughputExceededException) as raised:
        dynamodb.get_item(TableName=_table(fresh), Key={"id": {"S": "a"}})
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 1
    dynamodb.put_item(TableName=_table(fresh), Item={"id": {"S": "b"}})  # other operations run


def test_query_protocol_and_query_compatible_errors(fresh: AppHarness) -> None:
    sns = fresh.aws("sns", config=ONE_ATTEMPT)
    topic = sns.create_topic(Name="faulty")["TopicArn"]
    fresh.faults.service("sns", "Publish", error="ThrottledException")
    with pytest.raises(sns.exceptions.ThrottledException):  # query XML, code read by botocore
        sns.publish(TopicArn=topic, Message="m")
    sns.publish(TopicArn=topic, Message="m")  # once only

    sqs = fresh.aws("sqs", config=ONE_ATTEMPT)
    url = sqs.list_queues()["QueueUrls"][0]
    fresh.faults.service("sqs", "SendMessage", error="QueueDoesNotExist")
    with pytest.raises(ClientError) as raised:  # SQS's JSON carries the query-era code too
        sqs.send_message(QueueUrl=url, MessageBody="m")
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_s3_slow_down_is_retried(fresh: AppHarness) -> None:
    s3 = fresh.aws("s3")
    s3.create_bucket(Bucket="faults")
    fault = fresh.faults.service("s3", "PutObject", error="SlowDown")
    put = s3.put_object(Bucket="faults", Key="k", Body=b"v")
    assert put["ResponseMetadata"]["RetryAttempts"] == 1  # a 503: retried as AWS's is
    assert fault.hits == 1 and fault.status == 503


def test_latency_meets_a_clients_read_timeout(fresh: AppHarness) -> None:
    fresh.faults.service("dynamodb", "GetItem", latency=3.0)
    impatient = fresh.aws(
        "dynamodb",
        config=Config(read_timeout=0.5, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ReadTimeoutError):
        impatient.get_item(TableName=_table(fresh), Key={"id": {"S": "a"}})


def test_a_functions_own_boto3_retries_through_the_fault(fresh: AppHarness) -> None:
    fault = fresh.faults.service(
        "dynamodb", "PutItem", error="ProvisionedThroughputExceededException", times=2
    )
    with fresh.client() as client:
        assert client.put("/items/f", json={"name": "Ada"}).status_code == 204
    assert fault.hits == 2  # the handler's client retried twice, then stored it
    with fresh.client() as client:
        assert client.get("/items/f").json() == {"id": "f", "name": "Ada"}


def test_faults_end_with_clear_and_reset(fresh: AppHarness) -> None:
    fresh.faults.service("dynamodb", error="InternalServerError", times=None)
    fresh.clear_faults()
    fresh.aws("dynamodb", config=ONE_ATTEMPT).list_tables()


def test_a_misnamed_fault_is_refused(fresh: AppHarness) -> None:
    with pytest.raises(ConfigError, match="no operation 'PutItems'"):
        fresh.faults.service("dynamodb", "PutItems", error="ThrottlingException")
    with pytest.raises(ConfigError, match="defines no error 'NoSuchThing'"):
        fresh.faults.service("dynamodb", error="NoSuchThing")
    with pytest.raises(ConfigError, match="no emulated service 'route53'"):
        fresh.faults.service("route53", error="ThrottlingException")
    with pytest.raises(ConfigError, match="needs an error, a latency"):
        fresh.faults.service("dynamodb")
