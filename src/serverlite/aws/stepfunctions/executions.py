"""Running executions: one asyncio task each, started, stopped, resumed.

Standard executions are journaled in SQLite and resumed when serverlite starts again
(``resume_all``); Express executions run with an in-memory journal. Executions run only
where the local cloud runs event sources (``serverlite up``, the test harness): started
elsewhere they are stored RUNNING and run when an ``up`` next starts on the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from .asl.errors import StatesError
from .engine import Run
from .journal import Journal, MemoryJournal
from .observed import ExecutionObserver, ExecutionTrace
from .runtime import Clock, ExecutionInfo, Outcome, Services
from .store import Execution, SqliteJournal, StepFunctionsDb
from .tokens import TokenBoard

log = logging.getLogger("serverlite.stepfunctions")


def info_of(execution: Execution, machine_name: str) -> ExecutionInfo:
    return ExecutionInfo(
        arn=execution.arn,
        name=execution.name,
        machine_arn=execution.machine_arn,
        machine_name=machine_name,
        role_arn=execution.role_arn,
        input=json.loads(execution.input),
        start_time=execution.started,
        type=execution.type,
        redrive_count=execution.redrive_count,
        trace_header=execution.trace_header,
    )


class Executions:
    def __init__(
        self, db: StepFunctionsDb, tokens: TokenBoard, clock: Clock, region: str, account: str
    ) -> None:
        self.db = db
        self.tokens = tokens
        self.clock = clock
        self.region = region
        self.account = account
        self.connectors: Any = None  # set when event sources start (the invoker exists)
        self.read_object: Any = None
        self.observed = ExecutionObserver(None)  # traces and AWS/States metrics
        self._tasks: dict[str, asyncio.Task[Outcome]] = {}
        self._done: dict[str, asyncio.Event] = {}

    @property
    def running_here(self) -> bool:
        return self.connectors is not None

    def services(self, trace: ExecutionTrace | None = None) -> Services:
        extra = {"read_object": self.read_object} if self.read_object else {}
        return Services(
            self.connectors,
            self.tokens,
            self.clock,
            self.region,
            self.account,
            extra,
            trace,
            self.observed,
        )

    def _trace(self, info: ExecutionInfo) -> ExecutionTrace | None:
        machine = self.db.machine(info.machine_arn)
        return self.observed.trace(info, machine.extra) if machine is not None else None

    def _finished(self, run: Run, outcome: Outcome) -> None:
        events = run.journal.events() if run.services.trace is not None else []
        self.observed.finished(run.info, outcome, self.clock.now(), run.services.trace, events)

    def start(self, execution: Execution, machine_name: str) -> None:
        """Run a stored Standard execution in the background (if this process runs them)."""
        if not self.running_here or execution.arn in self._tasks:
            return
        journal = SqliteJournal(self.db, execution.arn)
        info = info_of(execution, machine_name)
        run = Run(info, json.loads(execution.definition), journal, self.services(self._trace(info)))
        self._spawn(execution.arn, self._standard(run))

    def _spawn(self, arn: str, work: Any) -> asyncio.Task[Outcome]:
        task = asyncio.create_task(work, name=f"sfn {arn}")
        self._tasks[arn] = task
        done = self._done.setdefault(arn, asyncio.Event())

        def finished(_: asyncio.Task[Outcome]) -> None:
            self._tasks.pop(arn, None)
            done.set()

        task.add_done_callback(finished)
        return task

    async def _standard(self, run: Run) -> Outcome:
        try:
            outcome = await run.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must not leave the execution RUNNING forever
            log.exception("execution %s failed inside serverlite", run.info.arn)
            outcome = Outcome("FAILED", error="States.Runtime", cause=f"serverlite: {exc}")
            run.finish(outcome)
        self._record(run.info.arn, outcome)
        self._finished(run, outcome)
        return outcome

    def _record(self, arn: str, outcome: Outcome) -> None:
        output = json.dumps(outcome.output) if outcome.status == "SUCCEEDED" else None
        self.db.finish_execution(
            arn,
            outcome.status,
            self.clock.now(),
            output,
            outcome.error or None,
            outcome.cause or None,
        )

    async def run_express(self, info: ExecutionInfo, definition: dict[str, Any]) -> Outcome:
        """An Express execution (StartSyncExecution, or an asynchronous one in the
        background): its journal lives in memory only."""
        if not self.running_here:
            return Outcome(
                "FAILED",
                error="States.Runtime",
                cause="serverlite runs executions only under `serverlite up`",
            )
        journal: Journal = MemoryJournal()
        run = Run(info, definition, journal, self.services(self._trace(info)))
        try:
            outcome = await run.run()
        except StatesError as exc:
            outcome = Outcome("FAILED", error=exc.error, cause=exc.cause)
        self._finished(run, outcome)
        return outcome

    def start_express(self, info: ExecutionInfo, definition: dict[str, Any]) -> None:
        self._spawn(info.arn, self.run_express(info, definition))

    async def stop(self, execution: Execution, machine_name: str, error: str, cause: str) -> None:
        task = self._tasks.get(execution.arn)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        journal = SqliteJournal(self.db, execution.arn)
        run = Run(info_of(execution, machine_name), {}, journal, self.services())
        aborted = Outcome("ABORTED", error=error, cause=cause)
        run.finish(aborted)
        self.db.finish_execution(
            execution.arn, "ABORTED", self.clock.now(), None, error or None, cause or None
        )
        self.observed.finished(run.info, aborted, self.clock.now())

    def redriven(self, execution: Execution, machine_name: str) -> None:
        """Record ExecutionRedriven and run the execution again from where it failed."""
        journal = SqliteJournal(self.db, execution.arn)
        run = Run(info_of(execution, machine_name), {}, journal, self.services())
        top = journal.frame("")
        details = {"executionRedrivenEventDetails": {"redriveCount": execution.redrive_count}}
        run.commit([run.event(top, "ExecutionRedriven", details)], *([top] if top else []))
        self.observed.redriven(execution.machine_arn)
        self.start(execution, machine_name)

    async def wait(self, arn: str) -> None:
        """Until the execution started here ends."""
        task = self._tasks.get(arn)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(task)
            return
        done = self._done.setdefault(arn, asyncio.Event())
        execution = self.db.execution(arn)
        while execution is not None and execution.status == "RUNNING":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 1.0)
            execution = self.db.execution(arn)

    def resume_all(self, machine_names: dict[str, str]) -> int:
        """Go on with every Standard execution a stopped serverlite left RUNNING."""
        resumed = 0
        for execution in self.db.running():
            name = machine_names.get(execution.machine_arn, execution.machine_arn.split(":")[-1])
            self.start(execution, name)
            resumed += 1
        return resumed

    def forget(self) -> None:
        """A test's fresh start: running executions are cancelled and forgotten."""
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
        self._done.clear()
        self.db.truncate()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
