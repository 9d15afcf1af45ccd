"""`serverlite up` with buckets in the template: provisioning, SAM S3 events to a
function, notifications to SQS, aws.s3 events on EventBridge, and CORS for a web page."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import (
    FIXTURES,
    Server,
    aws_client,
    start_with_markers,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AUTH = (
    "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.fixture(scope="module")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("s3-markers")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(
        tmp_path_factory, FIXTURES / "s3" / "template.yaml", markers, "--port", "0"
    )
    yield running
    running.stop()


def receive_all(sqs: Any, queue: str, wanted: int) -> list[dict[str, Any]]:
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while len(bodies) < wanted and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_the_template_bucket_exists_with_its_configuration(server: Server) -> None:
    s3 = aws_client(server, "s3")
    assert "uploads-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_versioning(Bucket="uploads-bucket")["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket="uploads-bucket")["TagSet"] == [
        {"Key": "team", "Value": "media"}
    ]
    rule = s3.get_bucket_lifecycle_configuration(Bucket="uploads-bucket")["Rules"][0]
    assert rule["Expiration"]["Days"] == 1 and rule["Filter"]["Prefix"] == "tmp/"
    cors = s3.get_bucket_cors(Bucket="uploads-bucket")["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["http://localhost:5173"]
    notification = s3.get_bucket_notification_configuration(Bucket="uploads-bucket")
    assert notification["QueueConfigurations"][0]["QueueArn"].endswith(":s3-removals")
    function = notification["LambdaFunctionConfigurations"][0]
    assert function["LambdaFunctionArn"].endswith(":function:OnUpload")
    rules = {r["Name"]: r["Value"] for r in function["Filter"]["Key"]["FilterRules"]}
    assert rules == {"Prefix": "images/", "Suffix": ".png"}
    assert "EventBridgeConfiguration" in notification


def test_an_upload_triggers_the_function_with_aws_s3_record(server: Server, markers: Path) -> None:
    s3 = aws_client(server, "s3")
    put = s3.put_object(Bucket="uploads-bucket", Key="images/my cat.png", Body=b"png bytes")
    s3.put_object(Bucket="uploads-bucket", Key="images/cat.jpg", Body=b"no: suffix")
    s3.put_object(Bucket="uploads-bucket", Key="docs/cat.png", Body=b"no: prefix")
    marker = markers / "ObjectCreated-Put-images_my cat.png.json"
    wait_for(marker.exists, 20)
    record = json.loads(marker.read_text())["event"]["Records"][0]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"].startswith("AWS:")
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["configurationId"] == "OnUploadImages"
    assert record["s3"]["bucket"]["name"] == "uploads-bucket"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads-bucket"
    obj = record["s3"]["object"]
    assert obj["key"] == "images/my+cat.png"  # URL-encoded, as S3 sends keys
    assert obj["size"] == 9 and obj["eTag"] == put["ETag"].strip('"')
    assert obj["versionId"] == put["VersionId"]
    assert len(obj["sequencer"]) >= 16
    time.sleep(1)  # what the filters refused would have arrived by now
    assert sorted(p.name for p in markers.glob("*.json")) == [marker.name]


def test_removals_reach_the_queue_and_creations_reach_eventbridge(server: Server) -> None:
    s3, sqs = aws_client(server, "s3"), aws_client(server, "sqs")
    s3.put_object(Bucket="uploads-bucket", Key="to-delete.txt", Body=b"x")
    marker = s3.delete_object(Bucket="uploads-bucket", Key="to-delete.txt")
    removed = [b for b in receive_all(sqs, "s3-removals", 2) if b.get("Event") != "s3:TestEvent"]
    records = [r for b in removed for r in b["Records"]]
    assert [r["eventName"] for r in records] == ["ObjectRemoved:DeleteMarkerCreated"]
    assert records[0]["s3"]["object"]["versionId"] == marker["VersionId"]
    assert "eTag" not in records[0]["s3"]["object"]
    bridged = receive_all(sqs, "s3-bridge", 4)
    created = {e["detail"]["object"]["key"]: e for e in bridged}
    event = created["to-delete.txt"]
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["resources"] == ["arn:aws:s3:::uploads-bucket"]
    assert event["detail"]["bucket"] == {"name": "uploads-bucket"}
    assert event["detail"]["reason"] == "PutObject"
    assert event["detail"]["object"]["size"] == 1


def test_cors_lets_the_allowed_page_in_and_no_other(server: Server) -> None:
    s3 = aws_client(server, "s3")
    s3.put_object(Bucket="uploads-bucket", Key="public.txt", Body=b"hi")

    def call(method: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request(method, "/uploads-bucket/public.txt", headers=headers)
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    allowed = "http://localhost:5173"
    status, headers, _ = call(
        "OPTIONS",
        {
            "Origin": allowed,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-amz-meta-a",
        },
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == allowed
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-meta-a"
    assert headers["access-control-max-age"] == "600"
    status, _, body = call(
        "OPTIONS", {"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"}
    )
    assert status == 403 and b"<Code>AccessForbidden</Code>" in body
    status, headers, body = call("GET", {"Origin": allowed, "Authorization": AUTH})
    assert (status, body) == (200, b"hi")
    assert headers["access-control-allow-origin"] == allowed
    status, _, body = call("GET", {"Origin": "http://evil.test", "Authorization": AUTH})
    assert status == 403 and b"AccessDenied" in body  # the endpoint's refusal of web pages
    status, _, _ = call("DELETE", {"Origin": allowed, "Authorization": AUTH})
    assert status == 403  # DELETE is not among the rule's methods


def test_aws_s3_events_cannot_be_sent_by_clients(server: Server) -> None:
    """S3 reaches EventBridge in-process (PutServiceEvents); no client can, and PutEvents
    keeps refusing aws.* sources."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/",
            body=json.dumps({"Entries": [{"Source": "aws.s3"}]}),
            headers={
                "X-Amz-Target": "AWSEvents.PutServiceEvents",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": AUTH.replace("/s3/", "/events/"),
            },
        )
        answer = conn.getresponse()
        assert answer.status == 400 and b"UnknownOperation" in answer.read()
    finally:
        conn.close()
    events = aws_client(server, "events")
    refused = events.put_events(
        Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": "{}"}]
    )
    assert refused["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"


@pytest.mark.skipif(shutil.which("aws") is None, reason="no AWS CLI on this machine")
def test_aws_s3_cp_sync_ls_through_serverlite_aws(server: Server, tmp_path: Path) -> None:
    """`serverlite aws s3 ...`: the CLI's high-level commands (multipart above 8 MB)."""

    def aws(*args: str) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        quiet = ["--only-show-errors"] if args[0] in ("cp", "sync", "rm") else []
        done = subprocess.run(
            [sys.executable, "-m", "serverlite.cli", "aws", "s3", *args, *quiet],
            capture_output=True,
            text=True,
            timeout=120,
            env={**base, "SERVERLITE_STATE_DIR": str(server.state_dir)},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    source = tmp_path / "site"
    (source / "css").mkdir(parents=True)
    (source / "index.html").write_text("<h1>hi</h1>")
    (source / "css" / "a.css").write_text("h1 {}")
    big = os.urandom(9 * 1024 * 1024)  # over the CLI's 8 MB multipart threshold
    (source / "video.bin").write_bytes(big)
    aws("mb", "s3://cli-site")
    aws("sync", str(source), "s3://cli-site/www")
    listed = aws("ls", "s3://cli-site", "--recursive")
    assert [line.split()[-1] for line in listed.splitlines()] == [
        "www/css/a.css",
        "www/index.html",
        "www/video.bin",
    ]
    assert "PRE css/" in aws("ls", "s3://cli-site/www/")
    aws("cp", "s3://cli-site/www/video.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == big
    head = aws_client(server, "s3").head_object(Bucket="cli-site", Key="www/video.bin")
    assert head["ETag"].endswith('-2"')  # uploaded in parts
    aws("rm", "s3://cli-site", "--recursive")
    aws("rb", "s3://cli-site")
