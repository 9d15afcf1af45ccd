"""Start-up in two steps: the services run (and the endpoint may serve) while the
functions' worlds are still being prepared on a thread of their own; a failure to
prepare them is raised by ``functions_ready``, and ``stop`` waits for the thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from serverlite.aws.backend import ProvisionedResource
from serverlite.cloud import CloudOptions, LocalCloud
from serverlite.deps.requirements import DependencyError
from serverlite.functions.pool import EnvironmentPool
from serverlite.template import load_application
from serverlite.template.model import Application, FunctionSpec

pytestmark = pytest.mark.integration
TEMPLATE = Path(__file__).resolve().parents[2] / "bench" / "app_startup" / "template.yaml"


def _cloud(tmp_path: Path) -> LocalCloud:
    app = load_application(TEMPLATE)
    return LocalCloud(app, CloudOptions(state_dir=tmp_path / "state", xray_port=0))


def test_services_start_while_the_worlds_are_still_preparing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    prepared: list[str] = []

    def slow_prepare(self: EnvironmentPool, functions: Sequence[FunctionSpec]) -> list[str]:
        release.wait(timeout=60)
        prepared.extend(fn.name for fn in functions)
        return ["worlds ready"]

    monkeypatch.setattr(EnvironmentPool, "prepare", slow_prepare)

    async def go() -> tuple[list[str], bool, list[str]]:
        cloud = _cloud(tmp_path)
        try:
            await cloud.start_services()
            tables = await cloud.aws.call("dynamodb", "ListTables", {})
            waiting = not prepared  # the services answered before the worlds were ready
            release.set()
            await cloud.functions_ready()
            return tables["TableNames"], waiting, cloud.notes
        finally:
            release.set()
            await cloud.stop()

    tables, waiting, notes = asyncio.run(go())
    assert tables == ["startup-items"]
    assert waiting
    assert notes == ["worlds ready"]


def test_a_world_that_cannot_be_prepared_fails_functions_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_prepare(self: EnvironmentPool, functions: Sequence[FunctionSpec]) -> list[str]:
        raise DependencyError("Hello: requirements.txt: no such package")

    monkeypatch.setattr(EnvironmentPool, "prepare", failing_prepare)

    async def go() -> None:
        cloud = _cloud(tmp_path)
        try:
            await cloud.start_services()
            await cloud.functions_ready()
        finally:
            await cloud.stop()

    with pytest.raises(DependencyError, match="no such package"):
        asyncio.run(go())


def test_a_slow_provisioning_runs_while_serving_and_holds_environments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's way (provisions_slowly), shown with SQS's queue: the other services
    answer while it provisions; functions_ready waits for it and lists what it made."""
    from serverlite.aws.sqs.service import SqsService

    release = threading.Event()
    provision = SqsService.provision

    def slow_provision(self: SqsService, app: Application) -> list[ProvisionedResource]:
        release.wait(timeout=60)
        return provision(self, app)

    monkeypatch.setattr(SqsService, "provisions_slowly", True)
    monkeypatch.setattr(SqsService, "provision", slow_provision)

    async def go() -> tuple[list[str], list[str], list[str]]:
        cloud = _cloud(tmp_path)
        try:
            await cloud.start_services()
            tables = await cloud.aws.call("dynamodb", "ListTables", {})
            before = [r.name for r in cloud.provisioned]
            release.set()
            await cloud.functions_ready()
            return tables["TableNames"], before, [r.name for r in cloud.provisioned]
        finally:
            release.set()
            await cloud.stop()

    tables, before, after = asyncio.run(go())
    assert tables == ["startup-items"]
    assert before == ["startup-items"]
    assert after == ["startup-items", "startup-jobs"]


def test_services_the_template_does_not_use_are_built_after_or_when_asked(
    tmp_path: Path,
) -> None:
    """Only DynamoDB (and its Streams) and SQS are built with the cloud; asking the
    in-process client for another service builds the rest, and start builds them all."""

    async def go() -> tuple[set[str], bool, set[str], set[str]]:
        cloud = _cloud(tmp_path)
        try:
            first = {s.name for s in cloud.services}
            has_ssm = cloud.aws.has("ssm")  # asked for: built now
            asked = {s.name for s in cloud.services}
            await cloud.start()
            return first, has_ssm, asked, {s.name for s in cloud.services}
        finally:
            await cloud.stop()

    first, has_ssm, asked, started = asyncio.run(go())
    assert first == {"dynamodb", "dynamodbstreams", "sqs"}
    assert has_ssm and {"ssm", "s3", "stepfunctions"} <= asked
    assert started == asked


def _started(tmp_path: Path, ask: str | None = None) -> tuple[set[str], set[str]]:
    """The services built with the cloud, and once start is done (then ``ask`` for one)."""

    async def go() -> tuple[set[str], set[str]]:
        cloud = _cloud(tmp_path)
        try:
            first = {s.name for s in cloud.services}
            await cloud.start()
            started = {s.name for s in cloud.services}
            if ask is not None:
                assert cloud.aws.has(ask)
            return first, started
        finally:
            await cloud.stop()

    return asyncio.run(go())


def test_start_builds_the_unused_services_that_kept_state_and_no_others(tmp_path: Path) -> None:
    """A fresh state: start builds only the template's services; asking for SSM builds
    the rest, each keeping its store; the next start on that state builds those (their
    executions, schedules, alarms and deliveries resume without a request)."""
    template = {"dynamodb", "dynamodbstreams", "sqs"}
    first, started = _started(tmp_path, ask="ssm")
    assert first == template
    assert started == template
    first, started = _started(tmp_path)
    assert first == template
    assert {"ssm", "stepfunctions", "events", "cloudwatch", "s3"} <= started
    assert len(started) > 10


def test_up_counts_its_start_from_the_process_start() -> None:
    """`serverlite is up in N s` counts from the process's start (imports included), not
    from when serving began: the start lies before this test's own start."""
    import time

    from serverlite.cli import process_started

    test_began = time.perf_counter()
    assert process_started() < test_began


# Imported by a start that does not need them: the terminal's rich (printed once up),
# DynamoDB's expression language (item operations, on their first call), SQS's pollers
# (a template with SQS event sources), the event pattern language (filters), the kinds
# of API authorizer (an API with one), uvicorn's websocket protocol (an upgrade request),
# urllib.request (a JWT authorizer's keys; the standard library's XML escaping brought it),
# tomllib (a samconfig.toml), RE2 (a parameter's AllowedPattern, an authorizer's checks).
NOT_AT_START = (
    "rich",
    "tomllib",
    "re2",
    "urllib.request",
    "xml.sax",
    "serverlite.aws.dynamodb.expressions",
    "serverlite.aws.dynamodb.ops_items",
    "serverlite.aws.sqs.mapping.runner",
    "serverlite.patterns",
    "serverlite.gateway.authorizers.jwt_authorizer",
    "serverlite.gateway.authorizers.lambda_authorizer",
    "websockets",
)

_START = """
import asyncio, json, sys
from pathlib import Path
from serverlite import cli, server
from serverlite.cloud import CloudOptions, LocalCloud
from serverlite.template import load_application

async def main():
    app = load_application(Path(sys.argv[1]))
    cloud = LocalCloud(app, CloudOptions(state_dir=Path(sys.argv[2]), xray_port=0))
    await cloud.start_services()
    config = server.endpoint_server(cloud, "127.0.0.1", idle_timeout_s=5).config
    config.load()
    answer = await cloud.aws.call("dynamodb", "ListTables", {})
    loaded = sorted(sys.modules)
    await cloud.functions_ready()
    await cloud.stop()
    print(json.dumps({"tables": answer["TableNames"], "modules": loaded}))

asyncio.run(main())
"""


def test_start_imports_only_what_the_first_requests_need(tmp_path: Path) -> None:
    """What `up` builds for a one-function app (DynamoDB, SQS, an HTTP API) up to its
    first ListTables answer leaves the modules other requests need unimported."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _START, str(TEMPLATE), str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["tables"] == ["startup-items"]
    early = [
        m for m in found["modules"] if any(m == p or m.startswith(p + ".") for p in NOT_AT_START)
    ]
    assert early == []


def test_an_item_operation_imports_its_module_on_its_first_call(tmp_path: Path) -> None:
    async def go() -> dict[str, object]:
        cloud = _cloud(tmp_path)
        try:
            await cloud.start_services()
            await cloud.aws.call(
                "dynamodb", "PutItem", {"TableName": "startup-items", "Item": {"id": {"S": "a"}}}
            )
            return await cloud.aws.call(
                "dynamodb",
                "GetItem",
                {
                    "TableName": "startup-items",
                    "Key": {"id": {"S": "a"}},
                    "ProjectionExpression": "id",
                },
            )
        finally:
            await cloud.stop()

    assert asyncio.run(go())["Item"] == {"id": {"S": "a"}}


def test_services_not_used_are_built_once_the_endpoint_is_quiet(tmp_path: Path) -> None:
    """While requests keep arriving (each within QUIET_S of the last), no service the
    template does not use is built; once they stop, they all are."""
    import time

    from serverlite import cloud as cloud_module
    from serverlite.aws.deferred import UntilBuilt

    _started(tmp_path, ask="ssm")  # every service kept a store: all built after serving

    async def go() -> tuple[int, int, int]:
        cloud = _cloud(tmp_path)
        try:
            endpoint = cloud.endpoint_app()
            assert isinstance(endpoint, UntilBuilt)
            await cloud.start_services()
            before = len(cloud.services)
            building = asyncio.ensure_future(cloud.build_deferred())
            busy_until = time.monotonic() + cloud_module.BUILD_AT_MOST_S / 2
            while time.monotonic() < busy_until:  # a client asking every 5 ms
                endpoint.last_request = time.monotonic()
                await asyncio.sleep(0.005)
            during = len(cloud.services)
            await building
            return before, during, len(cloud.services)
        finally:
            await cloud.stop()

    before, during, after = asyncio.run(go())
    assert before == during == 3
    assert after > 10


_SUMMARY = """
import asyncio, sys
from serverlite import summary

items = [
    summary.table("Functions", ("name", "runtime"), [("Hello", "python3.12")]),
    summary.line("[bold green]serverlite is up[/] in 0.20 s"),
    summary.line("[not markup]", markup=False),
]
asyncio.run(summary.print_in_child(items))
print("rich imported here:", "rich" in sys.modules)
"""


def test_the_summary_is_printed_by_a_child_process_that_imports_rich(tmp_path: Path) -> None:
    """`up`'s summary comes out on its stdout in order, rendered by rich in a child: the
    server itself never imports rich (some 2 MiB it would keep for as long as it runs)."""
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _SUMMARY],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines = out.stdout.splitlines()
    assert "Functions" in lines[0]
    assert "Hello" in out.stdout and "python3.12" in out.stdout
    assert "serverlite is up in 0.20 s" in lines
    assert "[not markup]" in lines
    assert lines[-1] == "rich imported here: False"


def test_binding_a_port_leaves_the_idna_codec_unimported() -> None:
    """`up` binds its ports first: an ASCII host goes to getaddrinfo as bytes, which
    takes no codec (a str would import IDNA's, with stringprep and unicodedata)."""
    import subprocess
    import sys

    code = (
        "import sys; from serverlite.connections import bind\n"
        "for sock in bind('127.0.0.1', 0) + bind('localhost', 0): sock.close()\n"
        "print('encodings.idna' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
