"""Each Step Functions operation's IAM action and resource.

From the Service Authorization Reference ("AWS Step Functions"): state machine
operations act on its ARN, StartExecution and StartSyncExecution on the state
machine's, the execution operations on the execution's
(``arn:aws:states:<region>:<account>:execution:<machine>:<name>``); CreateStateMachine
on the ARN the new machine will have; the task-token operations, listings and
validation act on none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

NAMING = ("stateMachineArn", "executionArn", "resourceArn")


def iam_map(region: str, account: str) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"states:{operation}"
        for key in NAMING:
            if request.get(key):
                return (IamRequest(action, str(request[key])),)
        if operation == "CreateStateMachine" and request.get("name"):
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{request['name']}"
            return (IamRequest(action, arn),)
        return (IamRequest(action),)

    return requests
