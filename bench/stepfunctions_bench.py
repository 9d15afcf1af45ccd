"""Step Functions benchmark: the cost of orchestration, as state transitions per second.

What each side does, on one `serverlite up`:
- A 100-state Pass chain as a Standard execution (every transition committed to SQLite
  before the next), against the same chain as an Express execution (StartSyncExecution,
  journaled in memory): what durability costs.
- A chain of Lambda Task states (each calls the function `step` with the previous
  output, as `arn:aws:states:::lambda:invoke`), as a Standard execution, against the
  same chain done by the functions themselves: `chain` invokes itself synchronously
  with boto3 until the depth is reached (function-to-function calls, no orchestrator).
  The ratio is orchestration's overhead.
Times are wall clock from the request to the answer (StartSyncExecution and the chain's
Invoke answer at the end; a Standard execution is polled with DescribeExecution every
2 ms). Each round runs every side once, the order rotating.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from common import ROOT, Row, aws_client, serverlite_up, stop
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_sfn"
ROLE = "arn:aws:iam::123456789012:role/bench"
PASS_STATES = 100


def _client(service: str, url: str) -> Any:
    made = aws_client(service, url, read_timeout=120)
    made.meta.config.inject_host_prefix = False  # StartSyncExecution's "sync-" host
    return made


def pass_chain(count: int) -> dict[str, Any]:
    states = {
        f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < count - 1 else {"End": True})}
        for i in range(count)
    }
    return {"StartAt": "S0", "States": states}


def task_chain(count: int) -> dict[str, Any]:
    states = {
        f"T{i}": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "bench-step", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            **({"Next": f"T{i + 1}"} if i < count - 1 else {"End": True}),
        }
        for i in range(count)
    }
    return {"StartAt": "T0", "States": states}


class Serverlite:
    def __init__(self, tmp: Path, tasks: int) -> None:
        up = serverlite_up(APP / "template.yaml", tmp / "state")
        self.proc, self.url = up.proc, up.aws_url
        self.sfn = _client("stepfunctions", self.url)
        self.lam = _client("lambda", self.url)
        self.tasks = tasks
        self.standard_pass = self._machine(pass_chain(PASS_STATES), "STANDARD")
        self.express_pass = self._machine(pass_chain(PASS_STATES), "EXPRESS")
        self.standard_tasks = self._machine(task_chain(tasks), "STANDARD")
        for _ in range(2):  # warm up: environments, connections, caches
            self.standard(self.standard_pass)
            self.express(self.express_pass)
            self.standard(self.standard_tasks)
            self.direct()

    def _machine(self, definition: dict[str, Any], kind: str) -> str:
        arn: str = self.sfn.create_state_machine(
            name=f"bench-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(definition),
            roleArn=ROLE,
            type=kind,
        )["stateMachineArn"]
        return arn

    def standard(self, arn: str) -> float:
        started = time.perf_counter()
        execution = self.sfn.start_execution(stateMachineArn=arn, input='{"n": 0}')
        deadline = time.monotonic() + 120
        while True:
            status = self.sfn.describe_execution(executionArn=execution["executionArn"])
            if status["status"] != "RUNNING":
                assert status["status"] == "SUCCEEDED", status
                return time.perf_counter() - started
            if time.monotonic() > deadline:
                raise RuntimeError("a benchmark execution did not finish in 120 s")
            time.sleep(0.002)

    def express(self, arn: str) -> float:
        started = time.perf_counter()
        result = self.sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 0}')
        assert result["status"] == "SUCCEEDED", result
        return time.perf_counter() - started

    def direct(self) -> float:
        started = time.perf_counter()
        payload = json.dumps({"n": 0, "depth": self.tasks}).encode()
        answer = self.lam.invoke(FunctionName="bench-chain", Payload=payload)
        result = json.loads(answer["Payload"].read())
        assert result["n"] == self.tasks, result
        return time.perf_counter() - started

    def close(self) -> None:
        stop(self.proc)


def stepfunctions_rows(rounds: int, scale: float) -> list[Row]:
    runs = max(2, int(10 * scale))
    tasks = 10
    with tempfile.TemporaryDirectory() as tmp:
        ours = Serverlite(Path(tmp), tasks)
        try:

            def repeat(measure: Any) -> float:
                return sorted(measure() for _ in range(runs))[runs // 2]

            results = alternate(
                rounds,
                {
                    "standard_pass": partial(repeat, partial(ours.standard, ours.standard_pass)),
                    "express_pass": partial(repeat, partial(ours.express, ours.express_pass)),
                    "standard_tasks": partial(repeat, partial(ours.standard, ours.standard_tasks)),
                    "direct": partial(repeat, ours.direct),
                },
            )
        finally:
            ours.close()

    def rate(side: str, transitions: int) -> list[float]:
        return [transitions / seconds for seconds in results[side]]

    standard, express = rate("standard_pass", PASS_STATES), rate("express_pass", PASS_STATES)
    chained, direct = rate("standard_tasks", tasks), rate("direct", tasks)
    each = f"median of {runs} executions per round"
    return [
        Row(
            f"Step Functions {PASS_STATES}-state Pass chain, state transitions/s",
            f"{spread(standard).show()} /s Standard (each transition on SQLite)",
            f"{spread(express).show()} /s the same as Express (journal in memory)",
            f"{ratio(standard, express).show('.2f', 'x')}",
            f"StartExecution to DescribeExecution SUCCEEDED; {each}",
        ),
        Row(
            f"Step Functions {tasks}-Task Lambda chain, steps/s",
            f"{spread(chained).show('.0f')} /s Standard, lambda:invoke tasks",
            f"{spread(direct).show('.0f')} /s function-to-function calls (boto3 Invoke)",
            f"{ratio(chained, direct).show('.2f', 'x')}",
            f"{tasks} calls of the same function; {each}",
        ),
    ]


if __name__ == "__main__":
    from common import print_table

    print_table(stepfunctions_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "sfn")
