"""AWS Step Functions: state machines and their executions, run durably.

asl/          the Amazon States Language, pure: validation, JSONPath, intrinsic
              functions, JSONata, Choice rules, Retry / Catch, resources
journal       frames and history events; the in-memory journal of Express runs
engine        the interpreter (Pass, Choice, Wait, Succeed, Fail; Retry and Catch)
engine_task   Task states: attempts, timeouts, heartbeats, task tokens
engine_flow   Parallel and Map (inline and distributed)
connectors    task resources: Lambda, the optimized and the AWS SDK integrations
executions    running executions: start, stop, resume after a restart
store         SQLite (WAL): machines, executions, history, frames, tokens, tags
tokens        task tokens waiting for SendTaskSuccess / Failure / Heartbeat
ops_*         the API (JSON 1.0, ``AWSStepFunctions``)
provision     the template's state machines
service       the backend
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import StepFunctionsService

    return StepFunctionsService(context)
