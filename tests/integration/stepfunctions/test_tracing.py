"""Step Functions and X-Ray: a state machine with tracing on records its execution as
a segment (states as subsegments, each Lambda task's call inside its state) that
continues the caller's trace and passes it to the functions it invokes; one without
tracing records nothing. Executions publish AWS/States metrics."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.stepfunctions.conftest import FN, ROLE, finished

DEFINITION = {
    "StartAt": "Twice",
    "States": {
        "Twice": {"Type": "Task", "Resource": f"{FN}Double", "Next": "Shape"},
        "Shape": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "Double", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        },
    },
}


def _machine(sfn: Any, traced: bool) -> str:
    arn: str = sfn.create_state_machine(
        name=f"traced-{uuid.uuid4().hex[:10]}",
        definition=json.dumps(DEFINITION),
        roleArn=ROLE,
        tracingConfiguration={"enabled": traced},
    )["stateMachineArn"]
    return arn


def _segments(server: Server, root: str, wanted: int) -> list[dict[str, Any]]:
    xray = aws_client(server, "xray")

    def found() -> list[dict[str, Any]] | None:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        docs = [json.loads(s["Document"]) for s in traces[0]["Segments"]] if traces else []
        return docs if len(docs) >= wanted else None

    result: list[dict[str, Any]] = wait_for(found, 30, every=0.2)
    return result


def test_a_traced_execution_is_a_segment_its_lambda_tasks_hang_under(server: Server) -> None:
    sfn = aws_client(server, "stepfunctions")
    arn = _machine(sfn, traced=True)
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    header = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"
    started = sfn.start_execution(stateMachineArn=arn, input='{"n": 3}', traceHeader=header)
    assert finished(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    # The execution's segment, and for each task Lambda's service and function segments.
    segments = _segments(server, root, 5)
    (execution,) = [s for s in segments if s.get("origin") == "AWS::StepFunctions::StateMachine"]
    assert execution["name"] == arn.rsplit(":", 1)[-1]
    assert execution["parent_id"] == "53995c3f42cd8ad8"
    assert execution["aws"]["execution_arn"] == started["executionArn"]
    states = execution["subsegments"]
    assert [s["name"] for s in states] == ["Twice", "Shape", "Again"]
    calls = {s["name"]: s.get("subsegments", []) for s in states}
    assert calls["Shape"] == []
    tasks = {name: subs[0] for name, subs in calls.items() if subs}
    assert {name: (t["name"], t["namespace"]) for name, t in tasks.items()} == {
        "Twice": ("Lambda", "aws"),
        "Again": ("Lambda", "aws"),
    }
    lambdas = [s for s in segments if s.get("origin") == "AWS::Lambda"]
    assert len(lambdas) == 2 and len({s["name"] for s in lambdas}) == 1  # Double, twice
    # Each invocation's AWS::Lambda segment is a child of its task's subsegment.
    assert {s["parent_id"] for s in lambdas} == {t["id"] for t in tasks.values()}


def test_an_untraced_machine_records_no_segment_and_passes_no_header(server: Server) -> None:
    sfn = aws_client(server, "stepfunctions")
    arn = _machine(sfn, traced=False)
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    header = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"
    started = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}', traceHeader=header)
    assert finished(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    time.sleep(1.0)  # what a traced execution would have written is written by now
    traces = aws_client(server, "xray").batch_get_traces(TraceIds=[root])["Traces"]
    assert traces == [] or traces[0]["Segments"] == []


def test_executions_publish_aws_states_metrics(server: Server) -> None:
    sfn = aws_client(server, "stepfunctions")
    arn = _machine(sfn, traced=False)
    for n in (1, 2):
        started = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": n}))
        assert finished(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    failing = sfn.create_state_machine(
        name=f"failing-{uuid.uuid4().hex[:10]}",
        definition=json.dumps({"StartAt": "No", "States": {"No": {"Type": "Fail"}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=failing)
    assert finished(sfn, started["executionArn"])["status"] == "FAILED"
    cloudwatch = aws_client(server, "cloudwatch")

    def total(machine: str, metric: str, statistic: str = "Sum") -> float | None:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/States",
            MetricName=metric,
            Dimensions=[{"Name": "StateMachineArn", "Value": machine}],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 3600,
            Period=60,
            Statistics=[statistic],
        )["Datapoints"]
        return sum(p[statistic] for p in points) if points else None

    assert wait_for(lambda: total(arn, "ExecutionsSucceeded") == 2, 10, every=0.2)
    assert total(arn, "ExecutionsStarted") == 2
    assert total(arn, "ExecutionsFailed") in (None, 0)
    assert (total(arn, "ExecutionTime", "SampleCount") or 0) == 2
    assert total(failing, "ExecutionsFailed") == 1
    listed = cloudwatch.list_metrics(Namespace="AWS/States")["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert {"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionTime"} <= names

    def task_total(name: str, value: str, metric: str, statistic: str = "Sum") -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/States",
            MetricName=metric,
            Dimensions=[{"Name": name, "Value": value}],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 3600,
            Period=60,
            Statistics=[statistic],
        )["Datapoints"]
        return float(sum(p[statistic] for p in points))

    # Two runs of DEFINITION: each a function-ARN task (LambdaFunction*) and a
    # lambda:invoke integration (ServiceIntegration*). Other tests of the package run
    # these resources too (and make some fail): at least ours are counted.
    function = ("LambdaFunctionArn", f"{FN}Double")
    integration = ("ServiceIntegrationResourceArn", "arn:aws:states:::lambda:invoke")
    for dimension, prefix in ((function, "LambdaFunction"), (integration, "ServiceIntegration")):
        for metric in ("sScheduled", "sStarted", "sSucceeded"):
            assert task_total(*dimension, prefix + metric) >= 2
        assert task_total(*dimension, prefix + "Time", "SampleCount") >= 2


def test_a_traced_sqs_task_passes_the_trace_in_aws_trace_header(server: Server) -> None:
    sqs = aws_client(server, "sqs")
    url = sqs.create_queue(QueueName=f"traced-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sfn = aws_client(server, "stepfunctions")
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody": {"hello": "queue"}},
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(
        name=f"traced-sqs-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=ROLE,
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    started = sfn.start_execution(
        stateMachineArn=arn, traceHeader=f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"
    )
    assert finished(sfn, started["executionArn"])["status"] == "SUCCEEDED"
    (message,) = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=5
    )["Messages"]
    header = dict(p.split("=", 1) for p in message["Attributes"]["AWSTraceHeader"].split(";"))
    (execution,) = [
        s
        for s in _segments(server, root, 1)
        if s.get("origin") == "AWS::StepFunctions::StateMachine"
    ]
    (task,) = execution["subsegments"][0]["subsegments"]
    assert (task["name"], task["aws"]["operation"]) == ("SQS", "SendMessage")
    assert header["Root"] == root and header["Parent"] == task["id"]
