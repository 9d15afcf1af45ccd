"""CloudWatch metrics for what ran: AWS/Lambda and AWS/ApiGateway counts equal the
requests the test made, EMF documents (Powertools Metrics) become metrics, and the
CloudWatch API answers boto3 (and the AWS CLI, when installed). Powertools Tracer's
subsegments reach the X-Ray daemon and join the function's segment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cbor2
import httpx
import pytest

from serverlite.harness import AppHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "observe" / "template.yaml"


def client(app: AppHarness, service: str) -> Any:
    return app.aws(service)


def _requests(app: AppHarness) -> None:
    rest, http = app.client("Api"), app.client("HttpApi")
    for body in ({"customer": "ada", "n": 2}, {"customer": "ada", "n": 3}, {"fail": True}):
        rest.post("/Prod/work", json=body)
    for body in ({"customer": "bob", "n": 5}, {"fail": True}):
        http.post("/work", json=body)
    http.get("/nowhere")  # 404: counted by the API, no invocation


@pytest.fixture(scope="module")
def ran() -> Iterator[tuple[AppHarness, float]]:
    """One app for the module: the requests are made once, every test reads them."""
    with AppHarness(TEMPLATE) as app:
        started = app.clock()
        _requests(app)
        yield app, started


def _sum(cw: Any, namespace: str, name: str, dims: dict[str, str], start: float) -> float:
    points = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=start - 120,
        EndTime=time.time() + 120,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_lambda_metrics_count_the_invocations(ran: Any) -> None:
    app, start = ran
    cw = client(app, "cloudwatch")
    fn = {"FunctionName": "Work"}
    assert _sum(cw, "AWS/Lambda", "Invocations", fn, start) == 5
    assert _sum(cw, "AWS/Lambda", "Errors", fn, start) == 2
    assert _sum(cw, "AWS/Lambda", "Invocations", {**fn, "Resource": "Work"}, start) == 5
    stats = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": "Work"}],
        StartTime=start - 120,
        EndTime=time.time() + 120,
        Period=3600,
        Statistics=["SampleCount", "Maximum"],
        ExtendedStatistics=["p99"],
    )["Datapoints"]
    assert sum(p["SampleCount"] for p in stats) == 5
    assert all(p["Unit"] == "Milliseconds" and p["ExtendedStatistics"]["p99"] > 0 for p in stats)


def test_api_gateway_metrics_by_rest_and_http_dimensions(ran: Any) -> None:
    app, start = ran
    cw = client(app, "cloudwatch")
    rest = {"ApiName": "Api", "Stage": "Prod"}
    assert _sum(cw, "AWS/ApiGateway", "Count", rest, start) == 3
    assert _sum(cw, "AWS/ApiGateway", "5XXError", rest, start) == 1
    assert _sum(cw, "AWS/ApiGateway", "4XXError", rest, start) == 0
    api_id = _http_api_id(cw)
    http = {"ApiId": api_id, "Stage": "$default"}
    assert _sum(cw, "AWS/ApiGateway", "Count", http, start) == 3
    assert _sum(cw, "AWS/ApiGateway", "4xx", http, start) == 1
    assert _sum(cw, "AWS/ApiGateway", "5xx", http, start) == 1


def _http_api_id(cw: Any) -> str:
    found = cw.list_metrics(Namespace="AWS/ApiGateway", MetricName="4xx")["Metrics"]
    ids = {d["Value"] for m in found for d in m["Dimensions"] if d["Name"] == "ApiId"}
    assert len(ids) == 1, found
    return ids.pop()


def test_emf_documents_become_metrics(ran: Any) -> None:
    app, start = ran
    cw = client(app, "cloudwatch")
    ada = {"customer": "ada", "service": "observe"}
    assert _sum(cw, "ObserveTest", "Orders", ada, start) == 5
    assert _sum(cw, "ObserveTest", "Orders", {"customer": "bob", "service": "observe"}, start) == 5
    names = cw.list_metrics(Namespace="ObserveTest")["Metrics"]
    assert {m["MetricName"] for m in names} == {"Orders"}


def test_get_metric_data_with_math(ran: Any) -> None:
    app, start = ran
    cw = client(app, "cloudwatch")

    def stat(metric: str) -> dict:
        return {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": "Work"}],
            },
            "Period": 3600,
            "Stat": "Sum",
        }

    results = cw.get_metric_data(
        StartTime=start - 120,
        EndTime=time.time() + 120,
        MetricDataQueries=[
            {"Id": "errors", "MetricStat": stat("Errors"), "ReturnData": False},
            {"Id": "invocations", "MetricStat": stat("Invocations"), "ReturnData": False},
            {"Id": "rate", "Expression": "100 * errors / invocations", "Label": "Error %"},
            {"Id": "both", "Expression": "SUM(METRICS())"},
        ],
    )["MetricDataResults"]
    by_id = {r["Id"]: r for r in results}
    assert set(by_id) == {"rate", "both"}
    assert sum(by_id["rate"]["Values"]) == pytest.approx(40.0 * len(by_id["rate"]["Values"]))
    assert sum(by_id["both"]["Values"]) == 7
    assert by_id["rate"]["Label"] == "Error %"


def test_put_metric_data_high_resolution_and_refusals(ran: Any) -> None:
    app, _ = ran
    cw = client(app, "cloudwatch")
    now = time.time()
    cw.put_metric_data(
        Namespace="Custom",
        MetricData=[
            {"MetricName": "Hits", "Values": [1, 2], "Counts": [1, 3], "StorageResolution": 1},
            {"MetricName": "Hits", "Value": 4, "StorageResolution": 1},
        ],
    )
    points = cw.get_metric_statistics(
        Namespace="Custom",
        MetricName="Hits",
        StartTime=now - 10,
        EndTime=now + 10,
        Period=1,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    assert sum(p["Sum"] for p in points) == 11
    assert sum(p["SampleCount"] for p in points) == 5
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "x", "Value": 1}])
    with pytest.raises(cw.exceptions.InvalidParameterCombinationException):
        cw.put_metric_data(
            Namespace="Custom", MetricData=[{"MetricName": "x", "Value": 1, "Values": [1]}]
        )


def test_the_cbor_protocol_answers_as_botocore_reads_it(ran: Any) -> None:
    """smithy-rpc-v2-cbor, the protocol CloudWatch's model lists first."""
    app, start = ran
    now = time.time()
    response = httpx.post(
        f"{app.endpoint_url}/service/GraniteServiceVersion20100801/operation/GetMetricStatistics",
        content=cbor2.dumps(
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "FunctionName", "Value": "Work"}],
                "StartTime": cbor2.CBORTag(1, start - 120),
                "EndTime": cbor2.CBORTag(1, now + 120),
                "Period": 3600,
                "Statistics": ["Sum"],
            }
        ),
        headers={
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/monitoring/"
            "aws4_request, SignedHeaders=host, Signature=0",
            "X-Amz-Date": "20260101T000000Z",
        },
    )
    assert response.status_code == 200, response.content
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    body = cbor2.loads(response.content)
    assert sum(p["Sum"] for p in body["Datapoints"]) == 5
    assert all(isinstance(p["Timestamp"], cbor2.CBORTag) is False for p in body["Datapoints"])


def test_tracer_subsegments_reach_the_daemon(ran: Any) -> None:
    app, start = ran
    xray = client(app, "xray")
    deadline = time.monotonic() + 20
    found: list[dict] = []
    while time.monotonic() < deadline:
        summaries = xray.get_trace_summaries(
            StartTime=start - 60,
            EndTime=time.time() + 5,
            FilterExpression='annotation.customer = "ada"',
        )["TraceSummaries"]
        if len(summaries) == 2:
            traces = xray.batch_get_traces(TraceIds=[s["Id"] for s in summaries])["Traces"]
            found = [json.loads(seg["Document"]) for t in traces for seg in t["Segments"]]
            functions = [s for s in found if s.get("origin") == "AWS::Lambda::Function"]
            subs = [sub["name"] for f in functions for sub in f.get("subsegments", [])]
            if subs.count("## app.handler") == 2:
                break
        time.sleep(0.2)
    functions = [s for s in found if s.get("origin") == "AWS::Lambda::Function"]
    assert len(functions) == 2, found
    for function in functions:
        handler = next(s for s in function["subsegments"] if s["name"] == "## handler")
        assert handler["annotations"]["customer"] == "ada"
        assert [s["name"] for s in handler["subsegments"]] == ["## pricing"]


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_reads_metrics(ran: Any) -> None:
    app, start = ran
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    out = subprocess.run(
        [
            "aws", "cloudwatch", "get-metric-statistics", "--namespace", "AWS/Lambda",
            "--metric-name", "Invocations", "--dimensions", "Name=FunctionName,Value=Work",
            "--start-time", str(int(start - 120)), "--end-time", str(int(time.time() + 120)),
            "--period", "3600", "--statistics", "Sum", "--endpoint-url", app.endpoint_url,
        ],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sum(p["Sum"] for p in json.loads(out.stdout)["Datapoints"]) == 5


def test_sns_and_eventbridge_hops_continue_the_trace(ran: Any) -> None:
    app, start = ran
    app.aws("lambda").invoke(FunctionName="Fanout", Payload=b"{}")
    xray = client(app, "xray")
    deadline = time.monotonic() + 30
    found: list[dict] = []
    while time.monotonic() < deadline:
        summaries = xray.get_trace_summaries(
            StartTime=start - 60, EndTime=time.time() + 5, FilterExpression='service("Fanout")'
        )["TraceSummaries"]
        if summaries:
            traces = xray.batch_get_traces(TraceIds=[summaries[0]["Id"]])["Traces"]
            found = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
            receivers = [
                s
                for s in found
                if s["name"] == "Receiver" and s.get("origin") == "AWS::Lambda::Function"
            ]
            if len(receivers) == 2:
                break
        time.sleep(0.3)
    fanout = next(
        s for s in found if s.get("origin") == "AWS::Lambda::Function" and s["name"] == "Fanout"
    )
    calls = {
        sub["name"]: sub["id"] for sub in fanout["subsegments"] if sub.get("namespace") == "aws"
    }
    assert set(calls) >= {"sns", "events"}
    services = [s for s in found if s["name"] == "Receiver" and s.get("origin") == "AWS::Lambda"]
    assert sorted(s["parent_id"] for s in services) == sorted([calls["sns"], calls["events"]])


def test_services_publish_their_metrics(ran: Any) -> None:
    app, start = ran
    sqs, ddb, cw = app.aws("sqs"), app.aws("dynamodb"), client(app, "cloudwatch")
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    for message in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    queue = {"QueueName": "counted"}
    assert _sum(cw, "AWS/SQS", "NumberOfMessagesSent", queue, start) == 3
    assert _sum(cw, "AWS/SQS", "NumberOfMessagesReceived", queue, start) == len(got)
    assert _sum(cw, "AWS/SQS", "NumberOfMessagesDeleted", queue, start) == len(got)
    ddb.create_table(
        TableName="Counted",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="Counted", Item={"id": {"S": "a"}})
    ddb.put_item(TableName="Counted", Item={"id": {"S": "b"}})
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.get_item(TableName="Nowhere", Key={"id": {"S": "a"}})
    latency = cw.get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="SuccessfulRequestLatency",
        Dimensions=[
            {"Name": "TableName", "Value": "Counted"},
            {"Name": "Operation", "Value": "PutItem"},
        ],
        StartTime=start - 120,
        EndTime=time.time() + 120,
        Period=60,
        Statistics=["SampleCount"],
    )["Datapoints"]
    assert sum(p["SampleCount"] for p in latency) == 2
    assert _sum(cw, "AWS/DynamoDB", "UserErrors", {}, start) >= 1


def test_eventbridge_publishes_aws_events_metrics(ran: Any) -> None:
    """Rules matched and targets invoked, by RuleName (default bus) and by EventBusName
    and RuleName (a custom bus), as EventBridge publishes them."""
    app, start = ran
    events, cw = app.aws("events"), client(app, "cloudwatch")
    (rule,) = [
        r["Name"]
        for r in events.list_rules()["Rules"]
        if "observe.test" in r.get("EventPattern", "")
    ]
    events.create_event_bus(Name="counted-bus")
    events.put_rule(
        Name="to-nowhere", EventBusName="counted-bus", EventPattern='{"source": ["counted"]}'
    )
    events.put_targets(
        Rule="to-nowhere",
        EventBusName="counted-bus",
        Targets=[{"Id": "gone", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:Gone"}],
    )
    by_rule = {"RuleName": rule}
    custom = {"EventBusName": "counted-bus", "RuleName": "to-nowhere"}
    names = ("TriggeredRules", "MatchedEvents", "Invocations", "SuccessfulInvocationAttempts")
    # Other tests of the module put events on the same rule: count from here.
    before = {name: _sum(cw, "AWS/Events", name, by_rule, start) for name in names}
    entry = {"Source": "observe.test", "DetailType": "metered", "Detail": "{}"}
    events.put_events(Entries=[entry, entry])
    events.put_events(Entries=[{**entry, "Source": "counted", "EventBusName": "counted-bus"}])
    events.put_events(Entries=[{**entry, "Source": "matches.nothing"}])

    def added(name: str) -> float:
        return _sum(cw, "AWS/Events", name, by_rule, start) - before.get(name, 0.0)

    def settled() -> bool:
        return (
            added("Invocations") >= 2
            and _sum(cw, "AWS/Events", "FailedInvocations", custom, start) >= 1
        )

    deadline = time.monotonic() + 30
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [added(name) for name in names] == [2, 2, 2, 2]
    assert _sum(cw, "AWS/Events", "FailedInvocations", by_rule, start) == 0
    # The custom bus's rule: a target that does not exist fails for good, at once.
    assert _sum(cw, "AWS/Events", "TriggeredRules", custom, start) == 1
    assert _sum(cw, "AWS/Events", "Invocations", custom, start) == 1
    assert _sum(cw, "AWS/Events", "FailedInvocations", custom, start) == 1
    assert _sum(cw, "AWS/Events", "InvocationAttempts", {"EventBusName": "counted-bus"}, start) == 1
    assert _sum(cw, "AWS/Events", "MatchedEvents", {}, start) >= 3  # the account's
