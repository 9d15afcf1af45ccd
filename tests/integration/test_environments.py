"""Execution environments as real forked processes: shapes, limits, logs, reuse, reload."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import serverlite
from serverlite.functions.environment import Settings
from serverlite.functions.environment_process import Invocation, RunOutcome
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygotes
from serverlite.template.model import FunctionSpec, LayerSpec

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures"
# serverlite's own source files: no frame of a handler's stack trace is in them, as no
# frame of Lambda's runtime is in one on AWS. (The path, not the word: a checkout may
# sit under a directory named serverlite.)
RUNTIME_FILES = str(Path(serverlite.__file__).parent) + os.sep


class Sink:
    def __init__(self) -> None:
        self.writes: list[tuple[str, str, list[tuple[int, str]]]] = []

    def write(self, group: str, stream: str, events: Any) -> None:
        self.writes.append((group, stream, list(events)))


def layer(name: str) -> LayerSpec:
    return LayerSpec(
        logical_id=name,
        stack_path=(),
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:layer:{name}:1",
        content_dir=FIXTURES / name,
    )


def spec(handler: str, code_dir: Path | None = None, **kw: Any) -> FunctionSpec:
    base = FunctionSpec(
        logical_id="Fn",
        stack_path=(),
        name="Fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:Fn",
        handler=handler,
        runtime="python3.11",
        code_dir=code_dir or FIXTURES / "functions",
        memory_mb=256,
        timeout_s=3,
    )
    return replace(base, **kw)


def run(
    zygote: Zygotes,
    fn: FunctionSpec,
    events: list[Any],
    tmp_path: Path,
    sink: Sink | None = None,
    between: Any = None,
) -> list[RunOutcome]:
    async def go() -> list[RunOutcome]:
        pool = EnvironmentPool(
            zygotes=zygote,
            settings=Settings(),
            state_dir=tmp_path,
            log_sink=sink,
            memory_check_interval_s=0.02,
        )
        pool.start()
        outcomes = []
        try:
            for i, event in enumerate(events):
                if between and i:
                    between(pool, i)
                inv = Invocation(
                    request_id=str(uuid.uuid4()),
                    payload=json.dumps(event).encode(),
                    timeout_s=fn.timeout_s,
                )
                outcomes.append(await pool.run(fn, inv))
        finally:
            await pool.close()
        return outcomes

    return asyncio.run(go())


def body(outcome: RunOutcome) -> Any:
    return json.loads(outcome.payload)


def messages(outcome: RunOutcome) -> list[str]:
    return [m for _, m in outcome.logs]


def test_environment_variables_context_and_paths(zygote, tmp_path):
    fn = spec(
        "basic.handler",
        layers=(layer("layer_a"), layer("layer_b")),
        environment={"MY_SETTING": "on"},
    )
    [outcome] = run(zygote, fn, [{"tag": "x"}], tmp_path)
    assert outcome.ok
    result = body(outcome)
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Fn"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/Fn"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == outcome.log_stream
    assert "[$LATEST]" in outcome.log_stream
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_HANDLER"] == "basic.handler"
    assert env["LAMBDA_TASK_ROOT"] == str(FIXTURES / "functions")
    assert "LAMBDA_RUNTIME_DIR" in env
    assert env["TZ"] == ":UTC"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert env["MY_SETTING"] == "on"
    assert result["cwd"] == str(FIXTURES / "functions")
    # Code first, then layers; the later layer shadows the earlier one as on /opt.
    assert result["sys_path_head"][0] == str(FIXTURES / "functions")
    assert result["layer"] == "b"
    ctx = result["context"]
    assert ctx["aws_request_id"] == outcome.request_id
    assert ctx["function_name"] == "Fn"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["invoked_function_arn"] == fn.arn
    assert ctx["log_group_name"] == "/aws/lambda/Fn"
    assert 2000 < ctx["remaining"] <= 3000


def test_logs_are_framed_like_lambda_and_root_logger_formatted(zygote, tmp_path):
    sink = Sink()
    fn = spec("basic.handler", layers=(layer("layer_a"),))
    first, second = run(zygote, fn, [{"tag": "one"}, {"tag": "two"}], tmp_path, sink)
    lines = messages(first)
    assert lines[0] == f"START RequestId: {first.request_id} Version: $LATEST"
    assert "event received one" in lines
    [warning] = [m for m in lines if m.startswith("[WARNING]")]
    # One event for a multi-line record, formatted as AWS's runtime formats it.
    assert warning.endswith(f"\t{first.request_id}\troot logger\nsecond line")
    assert not any("below the root logger" in m for m in lines)
    assert lines[-2] == f"END RequestId: {first.request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {first.request_id}\tDuration: ")
    assert "Init Duration" in lines[-1]
    assert "Init Duration" not in messages(second)[-1]
    assert [w[0] for w in sink.writes] == ["/aws/lambda/Fn", "/aws/lambda/Fn"]


def test_warm_environment_is_reused_and_replaced_after_invalidate(zygote, tmp_path):
    fn = spec("basic.handler", layers=(layer("layer_a"),))
    outcomes = run(
        zygote,
        fn,
        [{}, {}, {}],
        tmp_path,
        between=lambda pool, i: pool.invalidate("Fn") if i == 2 else None,
    )
    pids = [body(o)["pid"] for o in outcomes]
    assert pids[0] == pids[1]
    assert pids[2] != pids[1]
    assert [body(o)["invocations"] for o in outcomes] == [1, 2, 1]


def test_unhandled_exception_shape(zygote, tmp_path):
    [outcome] = run(zygote, spec("behaviours.handler"), [{"action": "raise"}], tmp_path)
    assert not outcome.ok
    error = body(outcome)
    assert set(error) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert error["errorType"] == "PaymentDeclined"
    assert error["errorMessage"] == "card declined"
    assert error["requestId"] == outcome.request_id
    assert 'behaviours.py", line' in error["stackTrace"][0]
    assert RUNTIME_FILES not in "".join(error["stackTrace"])
    logged = [m for m in messages(outcome) if m.startswith("[ERROR]")]
    assert logged[0].startswith("[ERROR] PaymentDeclined: card declined\nTraceback")


def test_timeout_kills_the_environment_with_aws_payload(zygote, tmp_path):
    fn = spec("behaviours.handler", timeout_s=1)
    timed_out, after = run(
        zygote, fn, [{"action": "sleep", "seconds": 5}, {"action": "echo", "n": 1}], tmp_path
    )
    assert body(timed_out) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {timed_out.request_id} Error: Task timed out after "
        "1.00 seconds",
    }
    lines = messages(timed_out)
    assert any(
        m.endswith(f"{timed_out.request_id} Task timed out after 1.00 seconds") for m in lines
    )
    assert "Status: timeout" in lines[-1]
    # Stopped at the deadline, not when the handler's 5 s sleep ended (no tighter
    # wall-clock bound: a loaded machine stretches any).
    assert 1.0 <= timed_out.usage.duration_ms / 1000 < 5.0
    # The next invocation gets a fresh environment (a cold start).
    assert after.ok and body(after) == {"action": "echo", "n": 1}
    assert after.usage.init_ms is not None


def test_memory_size_is_enforced(zygote, tmp_path):
    fn = spec("behaviours.handler", memory_mb=128)
    [outcome] = run(zygote, fn, [{"action": "allocate", "mb": 200}], tmp_path)
    error = body(outcome)
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    assert "Error Type: Runtime.OutOfMemory" in messages(outcome)[-1]
    # Lambda's cgroup caps what it can report: a kill reads exactly the memory size.
    assert outcome.usage.max_memory_used_mb == 128
    assert "Memory Size: 128 MB\tMax Memory Used: 128 MB\t" in messages(outcome)[-1]


def test_memory_within_the_limit_is_fine(zygote, tmp_path):
    fn = spec("behaviours.handler", memory_mb=512)
    [outcome] = run(zygote, fn, [{"action": "allocate", "mb": 50}], tmp_path)
    assert outcome.ok
    assert outcome.usage.max_memory_used_mb >= 50


def test_peak_memory_counts_what_a_thread_allocated_and_freed(zygote, tmp_path):
    fn = spec("behaviours.handler", memory_mb=512)
    before, after = run(
        zygote, fn, [{"action": "echo"}, {"action": "allocate-in-thread", "mb": 80}], tmp_path
    )
    assert after.ok
    assert after.usage.max_memory_used_mb >= before.usage.max_memory_used_mb + 70


def test_exit_and_crash_are_runtime_exit_errors(zygote, tmp_path):
    fn = spec("behaviours.handler")
    exited, crashed, clean = run(
        zygote,
        fn,
        [{"action": "exit", "code": 3}, {"action": "hard-exit"}, {"action": "exit", "code": 0}],
        tmp_path,
    )
    assert body(exited) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {exited.request_id} Error: Runtime exited with error: "
        "exit status 3",
    }
    assert body(crashed)["errorType"] == "Runtime.ExitError"
    assert body(crashed)["errorMessage"].endswith("Runtime exited without providing a reason")
    # AWS: sys.exit(0) in a handler -> "Runtime exited without providing a reason", not
    # "exit status 0" (LocalStack's AWS-validated snapshot test_lambda_handler_exit).
    assert body(clean) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {clean.request_id} Error: Runtime exited without "
        "providing a reason",
    }


def test_exit_during_init_answers_the_invocation(zygote, tmp_path):
    # AWS: sys.exit(0) at import -> the invocation's Runtime.ExitError "RequestId: ...
    # Error: Runtime exited without providing a reason" (LocalStack's AWS-validated
    # snapshot test_lambda_runtime_exit); a non-zero code names its status.
    code = tmp_path / "code"
    code.mkdir()
    (code / "quits.py").write_text("import sys\nsys.exit(0)\n")
    (code / "fails.py").write_text("import sys\nsys.exit(4)\n")
    [quits] = run(zygote, spec("quits.handler", code_dir=code), [{}], tmp_path)
    assert body(quits) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {quits.request_id} Error: Runtime exited without "
        "providing a reason",
    }
    [fails] = run(zygote, spec("fails.handler", code_dir=code), [{}], tmp_path)
    assert body(fails)["errorMessage"] == (
        f"RequestId: {fails.request_id} Error: Runtime exited with error: exit status 4"
    )


def _wrapper(path: Path, line: str) -> Path:
    path.write_text(f'#!/bin/sh\n{line}\nexec "$@"\n')
    path.chmod(0o755)
    return path


def test_exec_wrapper_runs_before_the_runtime(zygote, tmp_path):
    # AWS_LAMBDA_EXEC_WRAPPER: the wrapper gets the runtime's command line and execs it;
    # what it exports, the handler sees (Lambda developer guide, "Modifying the runtime
    # environment": wrapper scripts).
    code = tmp_path / "code"
    code.mkdir()
    (code / "env.py").write_text(
        "import os\ndef handler(event, context):\n    return os.environ.get('WRAPPED')\n"
    )
    wrapper = _wrapper(tmp_path / "wrap.sh", "export WRAPPED=yes")
    fn = spec("env.handler", code_dir=code, environment={"AWS_LAMBDA_EXEC_WRAPPER": str(wrapper)})
    first, second = run(zygote, fn, [{}, {}], tmp_path)
    assert body(first) == "yes" and body(second) == "yes"
    assert first.usage.init_ms is not None and second.usage.init_ms is None  # reused


def test_exec_wrapper_from_a_layer_under_opt(zygote, tmp_path):
    # Wrappers ship in layers and are named by their /opt path.
    content = tmp_path / "layer"
    content.mkdir()
    _wrapper(content / "wrap.sh", "export WRAPPED=from-layer")
    code = tmp_path / "code"
    code.mkdir()
    (code / "env.py").write_text(
        "import os\ndef handler(event, context):\n    return os.environ.get('WRAPPED')\n"
    )
    wrapped_layer = replace(layer("layer_a"), content_dir=content)
    fn = spec(
        "env.handler",
        code_dir=code,
        layers=(wrapped_layer,),
        environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrap.sh"},
    )
    [outcome] = run(zygote, fn, [{}], tmp_path)
    assert body(outcome) == "from-layer"


def test_missing_exec_wrapper_is_exit_status_127(zygote, tmp_path):
    # AWS: AWS_LAMBDA_EXEC_WRAPPER=/idontexist.sh -> Runtime.ExitError "RequestId: ...
    # Error: Runtime exited with error: exit status 127" (LocalStack's AWS-validated
    # snapshot test_lambda_runtime_wrapper_not_found).
    fn = spec("behaviours.handler", environment={"AWS_LAMBDA_EXEC_WRAPPER": "/idontexist.sh"})
    [outcome] = run(zygote, fn, [{"action": "echo"}], tmp_path)
    assert body(outcome) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {outcome.request_id} Error: Runtime exited with error: "
        "exit status 127",
    }


def _run_with_init_limit(zygote, fn, tmp_path, init_timeout_s):
    async def go() -> RunOutcome:
        pool = EnvironmentPool(
            zygotes=zygote, settings=Settings(), state_dir=tmp_path, init_timeout_s=init_timeout_s
        )
        pool.start()
        try:
            inv = Invocation(request_id=str(uuid.uuid4()), payload=b"{}", timeout_s=fn.timeout_s)
            return await pool.run(fn, inv)
        finally:
            await pool.close()

    return asyncio.run(go())


def test_init_that_never_finishes_is_retried_within_the_functions_timeout(zygote, tmp_path):
    # AWS: an init over its 10 s limit is retried in the first invocation, bounded by
    # the function's timeout (Lambda developer guide, "Understanding the Lambda
    # execution environment lifecycle"); one that never ends is answered with the
    # function's own "Task timed out after 1.00 seconds". The 10 s limit is 0.3 s here.
    code = tmp_path / "code"
    code.mkdir()
    (code / "stuck.py").write_text("import time\ntime.sleep(60)\n")
    fn = spec("stuck.handler", code_dir=code, timeout_s=1)
    outcome = _run_with_init_limit(zygote, fn, tmp_path, 0.3)
    assert body(outcome) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {outcome.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert "Status: timeout" in messages(outcome)[-1]


def test_slow_init_succeeds_on_its_retry(zygote, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "slow.py").write_text(
        "import time\ntime.sleep(0.6)\ndef handler(event, context):\n"
        "    return context.get_remaining_time_in_millis()\n"
    )
    fn = spec("slow.handler", code_dir=code, timeout_s=3)
    outcome = _run_with_init_limit(zygote, fn, tmp_path, 0.3)
    assert outcome.ok
    # The retried init (about 0.6 s) came out of the invocation's 3 s.
    assert body(outcome) < 2600


def test_marshal_error_and_decimal(zygote, tmp_path):
    fn = spec("behaviours.handler")
    bad, dec = run(zygote, fn, [{"action": "unserialisable"}, {"action": "decimal"}], tmp_path)
    error = body(bad)
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )
    assert error["requestId"] == bad.request_id
    assert body(dec) == {"price": 12.5, "count": 3}


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "bad_import.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'bad_import': No module named 'module_that_does_not_exist'",
        ),
        (
            "no_handler.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'no_handler'",
        ),
        (
            "missing_module.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing_module': No module named 'missing_module'",
        ),
        (
            "nodots",
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodots': not enough values to unpack (expected 2, got 1)",
        ),
        ("init_raises.handler", "RuntimeError", "config missing at import"),
    ],
)
def test_init_errors(zygote, tmp_path, handler, error_type, message):
    [outcome] = run(zygote, spec(handler), [{}], tmp_path)
    error = body(outcome)
    assert error["errorType"] == error_type
    assert error["errorMessage"] == message
    assert error["requestId"] == ""
    assert f"Error Type: {error_type}" in messages(outcome)[-1]


def test_import_time_error_trace_starts_at_importlib_not_at_serverlite(zygote, tmp_path):
    # AWS: an exception at import has a stackTrace from importlib's import_module
    # through the <frozen importlib._bootstrap> frames to the module's line; the
    # runtime's own frame is not in it (LocalStack's AWS-validated snapshot
    # test_lambda_runtime_error).
    [outcome] = run(zygote, spec("init_raises.handler"), [{}], tmp_path)
    trace = body(outcome)["stackTrace"]
    assert "importlib" in trace[0] and "in import_module" in trace[0]
    assert 'init_raises.py", line 1, in <module>' in trace[-1]
    assert RUNTIME_FILES not in "".join(trace)


def test_syntax_error_in_handler_module(zygote, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "broken.py").write_text("def handler(event, context):\n    return (\n")
    [outcome] = run(zygote, spec("broken.handler", code_dir=code), [{}], tmp_path)
    error = body(outcome)
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'broken': ")


def test_hot_reload_picks_up_new_code_on_next_invocation(zygote, tmp_path):
    code = tmp_path / "code"
    shutil.copytree(FIXTURES / "functions", code)
    (code / "version.py").write_text("def handler(event, context):\n    return 1\n")
    fn = spec("version.handler", code_dir=code)

    def change(pool: EnvironmentPool, _index: int) -> None:
        (code / "version.py").write_text("def handler(event, context):\n    return 2\n")
        pool.invalidate("Fn")

    first, second = run(zygote, fn, [{}, {}], tmp_path, between=change)
    assert (body(first), body(second)) == (1, 2)


def test_inline_code_is_materialised_as_index_py(zygote, tmp_path):
    fn = spec("index.handler", inline_code="def handler(event, context):\n    return 'inline'\n")
    [outcome] = run(zygote, fn, [{}], tmp_path)
    assert body(outcome) == "inline"
    assert (tmp_path / "inline" / "Fn" / "index.py").exists()


def test_idle_environments_are_reaped(zygote, tmp_path):
    async def go() -> tuple[int, int]:
        pool = EnvironmentPool(
            zygotes=zygote, settings=Settings(), state_dir=tmp_path, idle_timeout_s=0.2
        )
        pool.start()
        fn = spec("behaviours.handler")
        await pool.run(fn, Invocation(request_id="r", payload=b"{}", timeout_s=3))
        warm = pool.counts("Fn")[0]
        await asyncio.sleep(0.6)
        reaped = pool.counts("Fn")[0]
        await pool.close()
        return warm, reaped

    assert asyncio.run(go()) == (1, 0)


def test_zygote_preloaded_heavy_modules(zygote, tmp_path):
    [outcome] = run(zygote, spec("behaviours.handler"), [{}], tmp_path)
    assert outcome.ok
    assert zygote.all() and all(z.missing == [] for z in zygote.all())
    assert sys.version_info >= (3, 11)


def _batch_scheduling_allowed() -> bool:
    """Whether this machine lets a process choose SCHED_BATCH (a sandbox may refuse)."""
    if not hasattr(os, "SCHED_BATCH"):
        return False
    probe = "import os; os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))"
    tried = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True)
    return tried.returncode == 0


def test_a_functions_garbage_collector_is_on(zygote, tmp_path):
    # The zygote turns its own off for its preload (copy-on-write); each fork turns it on.
    [outcome] = run(zygote, spec("behaviours.handler"), [{"action": "gc"}], tmp_path)
    assert body(outcome) == {"enabled": True, "collected": True}


def test_environments_run_as_batch_tasks(zygote, tmp_path):
    # They never preempt serverlite's event loop when an invocation wakes them.
    if not _batch_scheduling_allowed():
        pytest.skip("this machine does not let a process choose SCHED_BATCH")
    [outcome] = run(zygote, spec("behaviours.handler"), [{"action": "scheduling"}], tmp_path)
    assert body(outcome) == os.SCHED_BATCH
    assert os.sched_getscheduler(0) != os.SCHED_BATCH  # serverlite itself is unchanged


def test_output_larger_than_the_log_pipe_is_kept_whole_and_in_order(zygote, tmp_path):
    # ~2.6 MB of lines: more than the pipe holds, so the pool's drain must keep it moving.
    fn = spec("behaviours.handler")
    [outcome] = run(zygote, fn, [{"action": "print", "lines": 200_000}], tmp_path)
    assert body(outcome) == "printed"
    lines = [m for m in messages(outcome) if m.startswith("line ")]
    assert lines == [f"line {i}" for i in range(200_000)]
