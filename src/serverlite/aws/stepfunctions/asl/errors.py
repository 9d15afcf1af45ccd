"""Errors a state machine raises, named as AWS names them.

A ``StatesError`` is what ``Retry`` and ``Catch`` match on (``ErrorEquals``): its
``error`` is the name (``States.TaskFailed``, ``Lambda.Unknown``, a function's own
``errorType``) and ``cause`` the text AWS puts in the history. ``States.Runtime`` and
``States.DataLimitExceeded`` are not matched by ``States.ALL`` (AWS: "States.ALL does
not match States.Runtime or States.DataLimitExceeded"); they always end the execution.
"""

from __future__ import annotations

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT = "States.DataLimitExceeded"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH = "States.ResultPathMatchFailure"
PARAMETER_PATH = "States.ParameterPathFailure"
NO_CHOICE = "States.NoChoiceMatched"
INTRINSIC = "States.IntrinsicFailure"
ITEM_READER = "States.ItemReaderFailed"
TOLERATED_FAILURE = "States.ExceedToleratedFailureThreshold"
BRANCH_FAILED = "States.BranchFailed"
QUERY_EVALUATION = "States.QueryEvaluationError"
RESULT_WRITER = "States.ResultWriterFailed"

# States.ALL matches every error but these (ASL spec, "Error names").
NOT_MATCHED_BY_ALL = frozenset({RUNTIME, DATA_LIMIT})
# AWS: "States.TaskFailed acts as a wildcard that matches any known error except for
# States.Timeout" (nor what States.ALL leaves out).
NOT_MATCHED_BY_TASK_FAILED = frozenset({TIMEOUT, HEARTBEAT_TIMEOUT, RUNTIME, DATA_LIMIT})


class StatesError(Exception):
    """A failure inside an execution: what Retry and Catch see."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def matches(names: list[str] | tuple[str, ...], error: str) -> bool:
    """Whether an ``ErrorEquals`` list matches ``error``."""
    for name in names:
        if name == error:
            return True
        if name == ALL and error not in NOT_MATCHED_BY_ALL:
            return True
        if name == TASK_FAILED and error not in NOT_MATCHED_BY_TASK_FAILED:
            return True
    return False


def runtime(cause: str) -> StatesError:
    return StatesError(RUNTIME, cause)
